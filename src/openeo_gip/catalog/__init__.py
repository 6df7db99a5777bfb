"""The data catalogue: which collections exist, for everyone and for each user, and their STAC metadata.

- ``scan.py`` finds sources (folders of rasters, single files, static STAC) and describes them from file
  headers (``raster/headers.py``) with ``naming.py``, ``sidecar.py`` and ``stac_source.py``;
- ``index.py`` stores the result and rescans only changed sources;
- ``private.py`` does the same for each user's ``collections/`` folder (only its owner sees them);
- ``catalog.py`` holds the ``Catalog`` requests read: the shared collections plus the user's own;
- ``metadata.py`` turns records into STAC Collection documents and queryables.

Reading pixels is ``raster/``; fetching what users point at over HTTP is ``remote/``.
"""
