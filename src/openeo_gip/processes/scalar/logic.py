"""Logic with three values (true, false, null). On arrays null is NaN, so a logical result that may be
null is a float array of 1, 0 and NaN; arrays without NaN stay boolean."""

from __future__ import annotations

from typing import Any

import numpy as np

from openeo_gip.processes.arraylike import (
    as_view,
    elementwise,
    is_array_value,
    is_plain_array,
    isnan,
    plain_values,
    where,
)
from openeo_gip.processes.registry import process
from openeo_gip.processes.scalar.comparison import with_nulls


def _nullable(value: Any) -> bool:
    return getattr(value, "dtype", np.dtype(bool)).kind in "fcO" or value is np.nan


def _truth(value: Any) -> Any:
    """An array as booleans, NaN counting as false (used together with a separate null mask)."""
    if _nullable(value):
        return where(isnan(value), False, value != 0)
    return value


def _and(a: Any, b: Any) -> Any:
    if not (_nullable(a) or _nullable(b)):
        return np.logical_and(a, b)
    if _numeric(a) and _numeric(b):
        # false where either is 0; otherwise null where either is NaN, else true (sign of a positive
        # number): seven passes over the arrays instead of seventeen, in cloud masks of every size
        a, b = np.abs(a), np.abs(b)
        return where(np.fmin(a, b) == 0, 0.0, np.sign(np.minimum(a, b)))
    either_false = (~_truth(a) & ~_missing(a)) | (~_truth(b) & ~_missing(b))
    return where(either_false, 0.0, with_nulls(1.0 * (_truth(a) & _truth(b)), a, b))


def _or(a: Any, b: Any) -> Any:
    if not (_nullable(a) or _nullable(b)):
        return np.logical_or(a, b)
    if _numeric(a) and _numeric(b):
        # true where either is non-zero and not NaN; otherwise false, or null where either is NaN
        a, b = np.abs(a), np.abs(b)
        return where(np.fmax(a, b) > 0, 1.0, np.maximum(a, b))
    either_true = _truth(a) | _truth(b)
    return where(either_true, 1.0, with_nulls(0.0 * a * b, a, b))


def _numeric(value: Any) -> bool:
    """Boolean or float arrays, or plain numbers (whose absolute values are never negative)."""
    if hasattr(value, "dtype"):
        return value.dtype.kind in "bf"
    return isinstance(value, bool | int | float)


def _missing(value: Any) -> Any:
    return isnan(value) if _nullable(value) else False


@process("and")
def and_(x: Any, y: Any) -> Any:
    if is_array_value(x) or is_array_value(y):
        return elementwise(_and, x, y)
    if x is False or y is False:
        return False
    if x is None or y is None:
        return None
    return bool(x and y)


@process("or")
def or_(x: Any, y: Any) -> Any:
    if is_array_value(x) or is_array_value(y):
        return elementwise(_or, x, y)
    if x is True or y is True:
        return True
    if x is None or y is None:
        return None
    return bool(x or y)


@process()
def xor(x: Any, y: Any) -> Any:
    return elementwise(lambda a, b: with_nulls(np.logical_xor(a, b), a, b), x, y)


@process("not")
def not_(x: Any) -> Any:
    return elementwise(lambda a: with_nulls(np.logical_not(a), a), x)


@process("if")
def if_(value: Any, accept: Any, reject: Any = None) -> Any:
    if is_array_value(value):
        return elementwise(
            lambda v, yes, no: where(_truth(v), yes, no),
            value,
            np.nan if accept is None else accept,
            np.nan if reject is None else reject,
        )
    return accept if value is True else reject


def _all_or_any(data: Any, ignore_nodata: bool, want_all: bool) -> Any:
    if is_plain_array(data):
        values = [v for v in plain_values(data) if v is not None]
        has_null = len(values) < len(plain_values(data))
        decisive = (False in values) if want_all else (True in values)
        if decisive:
            return not want_all
        if has_null and values and not ignore_nodata:  # only nulls: nothing contradicts the answer
            return None
        return want_all
    view = as_view(data, "all" if want_all else "any")
    cube, dim = view.data, view.dim
    present = cube.notnull()
    decisive = ((cube == 0) & present).any(dim) if want_all else ((cube != 0) & present).any(dim)
    result = where(decisive, 0.0 if want_all else 1.0, 1.0 if want_all else 0.0)
    if not ignore_nodata:
        result = where(decisive | present.all(dim) | ~present.any(dim), result, np.nan)
    return result


@process("all")
def all_(data: Any, ignore_nodata: bool = True) -> Any:
    return _all_or_any(data, ignore_nodata, want_all=True)


@process("any")
def any_(data: Any, ignore_nodata: bool = True) -> Any:
    return _all_or_any(data, ignore_nodata, want_all=False)
