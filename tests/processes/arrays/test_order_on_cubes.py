"""order on the arrays of a cube (an apply_dimension callback): per pixel the same positions as order of
that pixel's values as a plain list."""

from __future__ import annotations

import numpy as np
import pytest

from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.arrays.elements import order
from openeo_gip.processes.cube.reduce import apply_dimension
from tests.support.cube_builders import make_cube


def _pixel_positions(series: np.ndarray, asc: bool, nodata) -> list:
    """What order gives for one pixel's values as a list (no-data as null), padded with no-data."""
    values = [None if np.isnan(v) else float(v) for v in series]
    positions = order(values, asc=asc, nodata=nodata)
    return positions + [None] * (len(values) - len(positions))


@pytest.mark.parametrize(("asc", "nodata"), [(True, None), (False, None), (True, True), (False, False)])
def test_order_of_each_time_series_equals_order_of_its_values(asc, nodata):
    cube = make_cube(times=[f"2022-06-{day:02d}" for day in range(1, 8)], nan_fraction=0.3)
    positions = order(ArrayView(cube, "t"), asc=asc, nodata=nodata)
    assert isinstance(positions, ArrayView) and positions.dim == "t"
    result = positions.data.transpose(*cube.dims).values
    values = cube.values
    checked = 0
    for index in np.ndindex(values.shape[1:]):
        expected = _pixel_positions(values[(slice(None), *index)], asc, nodata)
        got = [None if np.isnan(v) else int(v) for v in result[(slice(None), *index)].astype(float)]
        assert got == expected, index
        checked += 1
    assert checked == 3 * 6 * 5
    assert np.isnan(values).any()  # no-data is part of the test


def test_order_as_apply_dimension_callback_over_bands():
    cube = make_cube(nan_fraction=0.0)
    out = apply_dimension(cube, Callback(lambda data, context=None: order(data)), "bands")
    assert out.dims == cube.dims
    assert out["bands"].values.tolist() == ["B02", "B04", "B08"]  # as many values: the labels stay
    expected = np.argsort(cube.values, axis=1)
    np.testing.assert_array_equal(out.values, expected)
