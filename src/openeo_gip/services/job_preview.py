"""The values of one map tile of a finished raster result file, warped straight from the GeoTIFF (GDAL
reads only the blocks under the tile)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio

from openeo_gip.raster.gdal_open import open_coarser, open_raster
from openeo_gip.services.tiles import TILE_SIZE, Tile, pixels_per_tile_pixel, warp_onto


def file_tile_values(path: Path, tile: Tile) -> np.ndarray:
    """``(1 or 3, 256, 256)`` float32 values of ``tile`` (NaN outside the file and for its no-data): its
    three bands as red, green and blue when it has three, else its first band."""
    with open_raster(path) as full:
        if full.crs is None:  # nowhere on a map
            return np.full((1, TILE_SIZE, TILE_SIZE), np.nan, dtype=np.float32)
        factor = pixels_per_tile_pixel(tile, full.crs.to_string(), full.res)
    with open_coarser(path, 1, factor) as source:  # a low zoom level reads an overview
        indexes = [1, 2, 3] if source.count == 3 else [1]
        return warp_onto(tile, rasterio.band(source, indexes), len(indexes), src_nodata=source.nodata)
