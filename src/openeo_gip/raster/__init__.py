"""Reading rasters: headers (never pixels), a collection's grid, and lazy chunked reads into cubes.

- ``records.py``: the description of a collection that a read needs (what the catalogue stores);
- ``headers.py``: grid, bands, tiles, nodata and scale of a file, read with rasterio/GDAL;
- ``gdal_open.py`` opens a file with the one driver expected for it, ``netcdf_guard.py`` refuses netCDF
  files whose data lives in other files;
- ``grid.py``: grid arithmetic; ``reader.py``: ``load_cube``, a lazy xarray/dask cube of a record.
"""
