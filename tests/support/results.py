"""Results as the end-to-end tests read them (GeoTIFF and netCDF bytes), and the source values a user sees."""

from __future__ import annotations

import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import rasterio
import xarray as xr

from openeo_gip.demodata import synthetic


def source(demo: synthetic.Sentinel2Demo, band: str) -> np.ndarray:
    """(t, y, x) floats of a band as a user sees them: the stored integers, nodata 0 as NaN."""
    stack = np.stack([demo.array(band, i) for i in range(len(demo.dates))]).astype(np.float64)
    stack[stack == 0] = np.nan
    return stack


@contextmanager
def all_nan_is_fine():
    """numpy warns about pixels without any valid value; their NaN result is what is expected."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def read_tif(content: bytes) -> np.ndarray:
    with rasterio.MemoryFile(content) as memory, memory.open() as dataset:
        return dataset.read(masked=True).astype(np.float64).filled(np.nan)


def read_netcdf(content: bytes) -> xr.Dataset:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.nc"
        path.write_bytes(content)
        with xr.open_dataset(path, engine="netcdf4") as dataset:
            return dataset.load()
