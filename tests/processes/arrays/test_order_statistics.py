"""The median of cubes: equal to numpy's nanmedian, computed on chunks small enough for long series."""

from __future__ import annotations

import warnings

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from openeo_gip.model.values import ArrayView
from openeo_gip.processes.arrays import statistics
from openeo_gip.processes.arrays.statistics import median, nanmedian, whole_along


def _reference(values: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():  # all-NaN series: NaN is the expected answer
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=axis)


@pytest.mark.parametrize("shape, axis", [((7, 5, 6), 0), ((4, 9), -1), ((8, 3), 0), ((1, 4), 0), ((0, 3), 0)])
def test_nanmedian_equals_numpy(shape, axis):
    rng = np.random.default_rng(len(shape) + shape[0])
    values = rng.normal(size=shape).astype(np.float32)
    values[rng.random(shape) < 0.4] = np.nan
    if shape[0] > 2:
        values[0, ...] = np.inf  # infinities are numbers like any other
        values[:, 0] = np.nan  # a series without any value
    result = nanmedian(values, axis=axis)
    assert result.dtype == np.float32
    assert np.array_equal(result, _reference(values, axis), equal_nan=True)


def test_nanmedian_of_integers_is_a_float_mean_of_the_middle_pair():
    assert nanmedian(np.array([[1, 2, 3, 4], [5, 9, 7, 6]]), axis=1).tolist() == [2.5, 6.5]


def test_median_over_time_of_a_dask_cube_matches_numpy_on_smaller_chunks(monkeypatch):
    monkeypatch.setattr(statistics, "WHOLE_CHUNK_BYTES", 10 * 128 * 128 * 4)  # 10 dates of 128 x 128 floats
    rng = np.random.default_rng(3)
    values = rng.random((10, 2, 256, 256)).astype(np.float32)
    values[rng.random(values.shape) < 0.3] = np.nan
    cube = xr.DataArray(
        da.from_array(values, chunks=(1, 1, 256, 256)), dims=("t", "bands", "y", "x")
    ).assign_coords(bands=["B04", "B08"])
    whole = whole_along(cube, "t")
    assert whole.chunks == ((10,), (1, 1), (128, 128), (128, 128))  # y and x halved, t in one chunk
    out = median(ArrayView(cube, "t"))
    assert out.dims == ("bands", "y", "x") and list(out["bands"].values) == ["B04", "B08"]
    assert np.array_equal(out.values, _reference(values, 0), equal_nan=True)
    strict = median(ArrayView(cube, "t"), ignore_nodata=False).values
    assert np.array_equal(strict, np.median(values, axis=0), equal_nan=True)
