"""The GeoTIFF every variant of the benchmarks writes, so that each does the same work: the COG openeo-gip
writes (formats/gtiff.py): deflate, predictor, 512 px tiles, overviews, compressed on all cores. Imports no
openeo-gip, so openeo-processes-dask's own environment (``bench/local_processing.py``) uses it too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio


def write_cog(layers: np.ndarray, crs, transform, out: Path) -> None:
    """``layers`` (band, y, x) as float32 with NaN as nodata."""
    profile = {
        "driver": "COG",
        "width": layers.shape[2],
        "height": layers.shape[1],
        "count": layers.shape[0],
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": np.nan,
        "blocksize": 512,
        "compress": "deflate",
        "predictor": "yes",
        "overviews": "auto",
        "num_threads": "all_cpus",
    }
    with rasterio.open(out, "w", **profile) as target:
        target.write(layers.astype(np.float32, copy=False))
