"""Writing one band as a Cloud Optimized GeoTIFF: the demo's COGs (``synthetic``) and the band files of its
Landsat products (``products``), which real Collection 2 products also deliver as COGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine


def write_cog(
    path: Path,
    data: np.ndarray,
    transform: Affine,
    crs: str,
    nodata: float | None,
    description: str,
    blocksize: int = 256,
    tags: dict[str, str] | None = None,
) -> None:
    """One single-band Cloud Optimized GeoTIFF with overviews (GDAL's COG driver; tiles of at least 128)."""
    profile = {
        "driver": "COG",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "blocksize": max(blocksize, 128),
        "compress": "deflate",
        "overview_resampling": "nearest",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.set_band_description(1, description)
        if tags:
            dst.update_tags(**tags)
