"""The data catalogue: collections found under the data root, their STAC metadata, and lazy reads.

- ``scan.py`` finds sources (folders of rasters, single files, static STAC) and describes them from file
  headers (``headers.py``, ``naming.py``, ``sidecar.py``, ``stac_source.py``, ``grid.py``);
- ``index.py`` stores the result and rescans only changed sources; its ``Catalog`` serves requests;
- ``private.py`` does the same for each user's ``collections/`` folder (only its owner sees them);
- ``metadata.py`` turns records into STAC Collection documents and queryables;
- ``reader.py`` (``load_cube``) reads a collection into a lazy xarray/dask cube;
- ``synthetic.py`` writes the demo and test data.
"""
