"""Helpers shared by the math, comparison, logic, statistics, array and text processes.

Values arrive as scalars (``None`` is the openEO null), plain lists, numpy arrays, DataArrays or an
``ArrayView`` (the values along one dimension of a cube). In plain lists ``None`` (no data) and ``NaN`` (a
number) differ, as the process definitions ask; inside cubes NaN is the no-data value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from openeo_gip.model.values import ArrayView
from openeo_gip.processes.errors import invalid

# The dimension a plain list becomes when it has to be handled like a cube's array.
LIST_DIM = "_index"


def is_array_value(value: Any) -> bool:
    """Whether ``value`` is a whole array of pixels (computed elementwise) rather than one value."""
    return isinstance(value, xr.DataArray | np.ndarray | ArrayView)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def to_python(value: Any) -> Any:
    """numpy scalars (and 0-d arrays) as plain Python values."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def elementwise(func: Callable[..., Any], *args: Any, null_result: Any = None) -> Any:
    """``func`` (numpy-style, vectorised) applied to values of any kind.

    With only single values, a null argument gives ``null_result``; with arrays, NaN already stands for
    null. An ``ArrayView`` argument makes the result an ``ArrayView`` on the same dimension.
    """
    dim = next((arg.dim for arg in args if isinstance(arg, ArrayView)), None)
    plain = [arg.data if isinstance(arg, ArrayView) else arg for arg in args]
    if not any(is_array_value(arg) for arg in plain):
        if any(arg is None for arg in plain):
            return null_result
        with np.errstate(all="ignore"):
            return to_python(func(*plain))
    plain = [np.nan if arg is None else arg for arg in plain]
    with np.errstate(all="ignore"):
        result = func(*plain)
    return ArrayView(result, dim) if dim is not None else result


def where(condition: Any, accept: Any, reject: Any) -> Any:
    """``numpy.where`` that keeps DataArrays (and their laziness) when there are any."""
    if any(isinstance(value, xr.DataArray) for value in (condition, accept, reject)):
        return xr.where(condition, accept, reject)
    return np.where(condition, accept, reject)


def isnan(value: Any) -> Any:
    return value.isnull() if isinstance(value, xr.DataArray) else np.isnan(value)


# ---- arrays -----------------------------------------------------------------------------------------


def as_view(data: Any, process: str, parameter: str = "data") -> ArrayView:
    """Any array argument as an ``ArrayView`` (a plain list becomes one dimension ``_index``)."""
    if isinstance(data, ArrayView):
        return data
    if isinstance(data, list | tuple) and _holds_cubes(data):
        # e.g. sum([x, y]) in merge_cubes' overlap resolver: the cubes stacked along the list dimension
        items = [v if isinstance(v, xr.DataArray) else xr.DataArray(np.nan if v is None else v) for v in data]
        return ArrayView(xr.concat(xr.broadcast(*items), dim=LIST_DIM, coords="minimal"), LIST_DIM)
    if isinstance(data, list | tuple):
        return ArrayView(xr.DataArray(list_to_numpy(list(data)), dims=[LIST_DIM]), LIST_DIM)
    if isinstance(data, xr.DataArray) and data.ndim == 1:
        return ArrayView(data, data.dims[0])
    if isinstance(data, np.ndarray) and data.ndim == 1:
        return ArrayView(xr.DataArray(data, dims=[LIST_DIM]), LIST_DIM)
    raise invalid(process, parameter, f"expected an array, got {type(data).__name__}")


def list_to_numpy(values: list) -> np.ndarray:
    """Numbers become a float (or int/bool) array with null as NaN; anything else an object array."""
    if all(is_number(v) or v is None for v in values) and values:
        if any(v is None for v in values):
            return np.array([np.nan if v is None else v for v in values], dtype=float)
        return np.array(values)
    if values and all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def is_plain_array(data: Any) -> bool:
    """A list or a one-dimensional labeled array: handled value by value, with null and NaN apart."""
    if isinstance(data, list | tuple):
        return not _holds_cubes(data)
    return isinstance(data, ArrayView) and data.data.ndim == 1 and data.data.dtype == object


def _holds_cubes(values: list | tuple) -> bool:
    return any(isinstance(v, xr.DataArray) and v.ndim > 0 for v in values)


def plain_values(data: Any) -> list:
    """The values of a list or 1-D array as Python values (NaN of float arrays stays NaN)."""
    if isinstance(data, list | tuple):
        return list(data)
    values = data.data if isinstance(data, ArrayView) else data
    return [to_python(v) for v in np.asarray(values).tolist()]


def view_labels(data: Any) -> list:
    """The labels of a labeled array; the indices for a plain list."""
    if isinstance(data, ArrayView):
        labels = data.labels
        return [to_python(label) for label in labels] if labels else list(range(len(data)))
    return list(range(len(data)))


def is_cube_view(data: Any) -> bool:
    """An ``ArrayView`` that is more than a single labeled array (other dimensions remain)."""
    return isinstance(data, ArrayView) and data.data.ndim > 1
