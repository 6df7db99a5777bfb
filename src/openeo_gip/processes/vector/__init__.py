"""Processes on vector data cubes (a ``geometry`` dimension of shapely geometries; see ``common.py``)."""
