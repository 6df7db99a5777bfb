"""Map tiles of secondary web services (XYZ, WMTS) and of finished job results.

``tiles.py`` is the Web Mercator tile grid, ``layer.py`` evaluates a process for one tile (its bounds pushed
down to the reader), ``render.py`` turns the values into a PNG, ``cache.py`` keeps recent tiles and
``wmts.py`` writes the WMTS capabilities document.
"""
