"""Processes on raster data cubes: filters, reducers, dimensions, combination, resampling, zonal statistics.

``common.py``, ``geometry.py``, ``periods.py`` and ``pushdown.py`` are the helpers these share."""
