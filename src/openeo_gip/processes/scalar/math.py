"""Elementwise mathematics: each works on single values, numpy/xarray arrays and ArrayViews alike."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from openeo_gip.processes.arraylike import elementwise, is_number, where
from openeo_gip.processes.errors import process_error
from openeo_gip.processes.registry import process


@process()
def add(x: Any, y: Any) -> Any:
    return elementwise(np.add, x, y)


@process()
def subtract(x: Any, y: Any) -> Any:
    return elementwise(np.subtract, x, y)


@process()
def multiply(x: Any, y: Any) -> Any:
    return elementwise(np.multiply, x, y)


@process()
def divide(x: Any, y: Any) -> Any:
    return elementwise(lambda a, b: np.true_divide(a, b), x, y)


def _floored_mod(x: Any, y: Any) -> Any:
    """The remainder with the sign of the divisor; by zero like a division, by an infinity ``x`` itself."""
    remainder = np.mod(x, y)
    by_zero = np.true_divide(x, y)
    result = where(np.equal(y, 0), by_zero, remainder)
    return where(np.isinf(y) & np.isfinite(x), x, result)


@process()
def mod(x: Any, y: Any) -> Any:
    return elementwise(_floored_mod, x, y)


@process()
def power(base: Any, p: Any) -> Any:
    # float_power: integer bases with negative exponents are fractions, not an error
    return elementwise(np.float_power, base, p)


@process()
def absolute(x: Any) -> Any:
    return elementwise(np.abs, x)


@process()
def sgn(x: Any) -> Any:
    return elementwise(np.sign, x)


@process()
def sqrt(x: Any) -> Any:
    return elementwise(np.sqrt, x)


@process()
def exp(p: Any) -> Any:
    return elementwise(np.exp, p)


@process()
def ln(x: Any) -> Any:
    return elementwise(np.log, x)


@process()
def log(x: Any, base: Any) -> Any:
    return elementwise(lambda a, b: np.log(a) / np.log(b), x, base)


@process()
def ceil(x: Any) -> Any:
    return elementwise(np.ceil, x)


@process()
def floor(x: Any) -> Any:
    return elementwise(np.floor, x)


@process("int")
def int_(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None  # the integer part of NaN does not exist
    return elementwise(np.trunc, x)


@process("round")
def round_(x: Any, p: int = 0) -> Any:
    # numpy rounds halves to the even neighbour, as the definition asks
    return elementwise(lambda value: np.round(value, p), x)


@process()
def clip(x: Any, min: Any, max: Any) -> Any:
    if is_number(min) and is_number(max) and min > max:
        raise process_error("MinMaxSwapped", "The minimum is greater than the maximum.")
    return elementwise(lambda v, low, high: np.minimum(np.maximum(v, low), high), x, min, max)


@process()
def linear_scale_range(
    x: Any,
    inputMin: Any,
    inputMax: Any,
    outputMin: Any = 0,
    outputMax: Any = 1,
) -> Any:
    def scale(value, in_min, in_max, out_min, out_max):
        low, high = np.minimum(in_min, in_max), np.maximum(in_min, in_max)
        clipped = np.minimum(np.maximum(value, low), high)
        return (clipped - in_min) / (in_max - in_min) * (out_max - out_min) + out_min

    return elementwise(scale, x, inputMin, inputMax, outputMin, outputMax)


@process()
def constant(x: Any) -> Any:
    return x


@process()
def pi() -> float:
    return math.pi


@process()
def e() -> float:
    return math.e


@process()
def nan() -> float:
    return math.nan


for _name, _func in {
    "cos": np.cos,
    "sin": np.sin,
    "tan": np.tan,
    "cosh": np.cosh,
    "sinh": np.sinh,
    "tanh": np.tanh,
    "arccos": np.arccos,
    "arcsin": np.arcsin,
    "arctan": np.arctan,
    "arcosh": np.arccosh,
    "arsinh": np.arcsinh,
    "artanh": np.arctanh,
}.items():

    def _trigonometric(x: Any, _func=_func) -> Any:
        return elementwise(_func, x)

    _trigonometric.__name__ = _name
    process(_name)(_trigonometric)


@process()
def arctan2(y: Any, x: Any) -> Any:
    return elementwise(np.arctan2, y, x)
