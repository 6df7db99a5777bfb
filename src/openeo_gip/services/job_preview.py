"""The values of one map tile of a finished raster result file, warped straight from the GeoTIFF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasterio.vrt import WarpedVRT
from rasterio.warp import Resampling

from openeo_gip.raster.gdal_open import open_raster
from openeo_gip.services.tiles import TILE_SIZE, WEB_MERCATOR, Tile


def file_tile_values(path: Path, tile: Tile) -> np.ndarray:
    """``(1 or 3, 256, 256)`` float32 values of ``tile`` (NaN outside the file and for its no-data): its
    three bands as red, green and blue when it has three, else its first band."""
    with open_raster(path) as source:
        indexes = [1, 2, 3] if source.count == 3 else [1]
        options = {"src_nodata": source.nodata} if source.nodata is not None else {}
        with WarpedVRT(
            source,
            crs=WEB_MERCATOR,
            transform=tile.transform(TILE_SIZE),
            width=TILE_SIZE,
            height=TILE_SIZE,
            resampling=Resampling.nearest,
            dtype="float32",
            nodata=np.nan,
            **options,
        ) as warped:
            return warped.read(indexes).astype(np.float32)
