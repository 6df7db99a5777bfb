"""Comparisons. Single values follow the definitions exactly (no casting between types, null in gives
null out); on arrays NaN is null, so a comparison with NaN gives NaN rather than false."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from openeo_gip.processes.arraylike import elementwise, is_array_value, is_number, isnan, where
from openeo_gip.processes.registry import process


def _may_hold_nan(value: Any) -> bool:
    if isinstance(value, xr.DataArray | np.ndarray):
        return value.dtype.kind in "fc" or value.dtype == object
    return isinstance(value, float) and math.isnan(value)


def with_nulls(result: Any, *inputs: Any) -> Any:
    """``result`` with NaN wherever one of the array ``inputs`` is NaN (null in, null out)."""
    missing = None
    for value in inputs:
        if _may_hold_nan(value):
            mask = isnan(value)
            missing = mask if missing is None else missing | mask
    # float32 holds 0, 1 and NaN exactly, in half the memory of the float64 NumPy would choose
    return result if missing is None else where(missing, np.float32(np.nan), result)


def _array_compare(op: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    return elementwise(lambda a, b: with_nulls(op(a, b), a, b), x, y)


def _any_array(*values: Any) -> bool:
    return any(is_array_value(value) for value in values)


@process()
def eq(x: Any, y: Any, delta: Any = None, case_sensitive: bool = True) -> Any:
    if _any_array(x, y):
        if delta is not None:
            return _array_compare(lambda a, b: np.abs(a - b) <= delta, x, y)
        return _array_compare(np.equal, x, y)
    if x is None or y is None:
        return None
    if is_number(x) and is_number(y):
        if delta is not None:
            return bool(abs(x - y) <= delta)
        return bool(x == y)
    if isinstance(x, str) and isinstance(y, str):
        return x == y if case_sensitive else x.casefold() == y.casefold()
    if type(x) is not type(y) and not (is_number(x) and is_number(y)):
        return False
    return x == y


@process()
def neq(x: Any, y: Any, delta: Any = None, case_sensitive: bool = True) -> Any:
    if _any_array(x, y):
        if delta is not None:
            return _array_compare(lambda a, b: np.abs(a - b) > delta, x, y)
        return _array_compare(np.not_equal, x, y)
    equal = eq(x, y, delta, case_sensitive)
    return None if equal is None else not equal


def _order(op: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    if _any_array(x, y):
        return _array_compare(op, x, y)
    if x is None or y is None:
        return None
    if is_number(x) and is_number(y):
        return bool(op(x, y))
    return False  # only numbers are ordered


@process()
def gt(x: Any, y: Any) -> Any:
    return _order(np.greater, x, y)


@process()
def gte(x: Any, y: Any) -> Any:
    return _order(np.greater_equal, x, y)


@process()
def lt(x: Any, y: Any) -> Any:
    return _order(np.less, x, y)


@process()
def lte(x: Any, y: Any) -> Any:
    return _order(np.less_equal, x, y)


@process()
def between(x: Any, min: Any, max: Any, exclude_max: bool = False) -> Any:
    def inside(value, low, high):
        upper = np.less(value, high) if exclude_max else np.less_equal(value, high)
        return with_nulls(np.greater_equal(value, low) & upper, value)

    if is_array_value(x):
        return elementwise(inside, x, min, max)
    if x is None:
        return None
    if not is_number(x) or not is_number(min) or not is_number(max):
        return False
    return bool(inside(x, min, max))


@process()
def is_nan(x: Any) -> Any:
    if is_array_value(x):
        return elementwise(lambda value: isnan(value), x)
    return isinstance(x, float) and math.isnan(x)


@process()
def is_nodata(x: Any) -> Any:
    if is_array_value(x):
        return elementwise(lambda value: isnan(value), x)
    return x is None


@process()
def is_valid(x: Any) -> Any:
    if is_array_value(x):
        return elementwise(lambda value: np.isfinite(value), x)
    if x is None:
        return False
    return not (is_number(x) and not math.isfinite(x))


@process()
def is_infinite(x: Any) -> Any:
    if is_array_value(x):
        return elementwise(lambda value: np.isinf(value), x)
    if x is None:
        return False
    return is_number(x) and math.isinf(x)
