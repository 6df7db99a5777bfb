"""and / or on arrays follow the three-valued definitions of single values, NaN standing for null."""

from __future__ import annotations

import itertools

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from openeo_gip.processes.scalar.logic import and_, or_

# Every kind of element: false, true (1, other numbers, infinity), null.
VALUES = [0.0, 1.0, 2.5, -3.0, np.inf, -np.inf, np.nan]


def _single(value: float):
    return None if np.isnan(value) else bool(value)


def _expected(process, pairs) -> np.ndarray:
    answers = [process(_single(a), _single(b)) for a, b in pairs]
    return np.array([np.nan if answer is None else float(answer) for answer in answers])


@pytest.mark.parametrize("process", [and_, or_])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_arrays_lazy_or_not_give_the_single_value_answers(process, dtype):
    pairs = list(itertools.product(VALUES, repeat=2))
    x = np.array([a for a, _ in pairs], dtype)
    y = np.array([b for _, b in pairs], dtype)
    expected = _expected(process, pairs)
    plain = process(x, y)
    lazy = process(*(xr.DataArray(da.from_array(v, chunks=7), dims="i") for v in (x, y)))
    for result in (np.asarray(plain), lazy.values):
        assert np.array_equal(result, expected, equal_nan=True)
    assert lazy.dtype == dtype


@pytest.mark.parametrize("process", [and_, or_])
@pytest.mark.parametrize("single", [True, False, None])
def test_an_array_with_a_single_value_or_a_boolean_array(process, single):
    x = np.array(VALUES, np.float32)
    flags = np.array([True, False, True, False, True, False, True])
    expected = _expected(process, [(a, np.nan if single is None else float(single)) for a in VALUES])
    assert np.array_equal(process(x, single), expected, equal_nan=True)
    with_flags = _expected(process, list(zip(VALUES, flags.astype(float), strict=True)))
    assert np.array_equal(process(x, flags), with_flags, equal_nan=True)
    assert np.array_equal(process(flags, flags), flags)  # no null possible: stays boolean
