"""Small synthetic cubes for the data-cube process tests: random values with NaN holes, known labels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401
import xarray as xr

from openeo_gip.model.values import ArrayView, Callback

CRS = "EPSG:32631"
ORIGIN_X, ORIGIN_Y, PIXEL = 500000.0, 5600000.0, 10.0


def make_cube(
    times=("2021-01-05", "2021-01-20", "2021-02-03", "2021-04-11"),
    bands=("B02", "B04", "B08"),
    height=6,
    width=5,
    seed=0,
    nan_fraction=0.1,
    common_names=None,
) -> xr.DataArray:
    """A lazy (t, bands, y, x) cube in UTM 31N with pixel centres on a 10 m grid."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 3000, size=(len(times), len(bands), height, width)).astype(np.float32)
    values[rng.random(values.shape) < nan_fraction] = np.nan
    coords = {
        "t": pd.DatetimeIndex(times).values,
        "bands": list(bands),
        "y": ORIGIN_Y - PIXEL / 2 - PIXEL * np.arange(height),
        "x": ORIGIN_X + PIXEL / 2 + PIXEL * np.arange(width),
    }
    cube = xr.DataArray(values, dims=("t", "bands", "y", "x"), coords=coords).chunk({"y": 3, "x": 3})
    if common_names is not None:
        cube = cube.assign_coords(common_name=("bands", list(common_names)))
    return cube.rio.write_crs(CRS)


def reducer(function) -> Callback:
    """A reducer callback from a numpy-style function applied along the view's dimension."""
    return Callback(lambda data, context=None: function(data))


def mean_reducer() -> Callback:
    return reducer(lambda view: view.data.mean(view.dim, skipna=True))


def as_view(array: xr.DataArray, dim: str) -> ArrayView:
    return ArrayView(array, dim)


def nanmean(values, axis):
    """numpy's nanmean without its warning for all-NaN pixels (their NaN is the expected answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)
