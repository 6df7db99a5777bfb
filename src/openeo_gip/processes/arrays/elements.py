"""Array processes. A cube's array (an ``ArrayView``) is indexed or reduced along ``view.dim`` for all pixels
at once; plain lists and single labeled arrays are handled value by value (they are small, and null and
NaN differ in them). A labeled array is an ``ArrayView`` whose dimension carries the labels."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from openeo_gip.model.limits import MAX_ARRAY_LENGTH
from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.arraylike import as_view, is_cube_view, plain_values, view_labels
from openeo_gip.processes.arrays.statistics import whole_along
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process
from openeo_gip.processes.scalar.comparison import eq


def labeled(values: list, labels: list) -> ArrayView:
    """A labeled array of plain values."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    label_array = np.empty(len(labels), dtype=object)
    label_array[:] = labels
    return ArrayView(xr.DataArray(array, dims=["labels"], coords={"labels": label_array}), "labels")


def _is_labeled(data: Any) -> bool:
    return isinstance(data, ArrayView) and data.dim in data.data.coords


def _label_position(data: Any, label: Any) -> int | None:
    if not _is_labeled(data):
        return None
    labels = view_labels(data)
    for position, candidate in enumerate(labels):
        if candidate == label and type(candidate) is type(label):
            return position
    cube = data.data
    for name, coord in cube.coords.items():  # bands may also be named by e.g. their common name
        if name != data.dim and coord.dims == (data.dim,):
            names = [str(v) for v in coord.values]
            if label in names:
                return names.index(label)
    return None


@process()
def array_element(data: Any, index: Any = None, label: Any = None, return_nodata: bool = False) -> Any:
    if index is None and label is None:
        raise process_error("ArrayElementParameterMissing", "Give either 'index' or 'label'.")
    if index is not None and label is not None:
        raise process_error("ArrayElementParameterConflict", "Give 'index' or 'label', not both.")
    if label is not None and not _is_labeled(data):
        raise process_error("ArrayNotLabeled", "The array has no labels; use 'index'.")
    view = as_view(data, "array_element")
    position = index if label is None else _label_position(data, label)
    if position is None or not 0 <= position < len(view):
        if return_nodata:
            return _null_like(view)
        wanted = f"label '{label}'" if label is not None else f"index {index}"
        raise process_error("ArrayElementNotAvailable", f"The array has no element at {wanted}.")
    if is_cube_view(data):
        return view.data.isel({view.dim: position}, drop=True)
    return plain_values(data)[position]


def _null_like(view: ArrayView) -> Any:
    if view.data.ndim > 1:
        return xr.full_like(view.data.isel({view.dim: 0}, drop=True), np.nan, dtype=float)
    return None


@process()
def array_labels(data: Any) -> list:
    return view_labels(data)


def _bounded(values: list, process_id: str, parameter: str) -> list:
    """``values``, unless longer than ``MAX_ARRAY_LENGTH`` (a graph doubling an array in each node)."""
    if len(values) > MAX_ARRAY_LENGTH:
        raise invalid(process_id, parameter, f"the array would have more than {MAX_ARRAY_LENGTH} elements")
    return values


@process()
def array_create(data: list | None = None, repeat: int = 1) -> list:
    values = list(data or [])
    if not len(values) * repeat <= MAX_ARRAY_LENGTH:  # checked before anything is allocated; NaN too
        raise invalid("array_create", "repeat", f"the array would have more than {MAX_ARRAY_LENGTH} elements")
    return values * int(repeat)


@process()
def array_create_labeled(data: list, labels: list) -> ArrayView:
    if len(data) != len(labels):
        raise process_error("ArrayLengthMismatch", "There must be as many labels as values.")
    return labeled(list(data), list(labels))


@process()
def array_concat(array1: Any, array2: Any) -> Any:
    if is_cube_view(array1) or is_cube_view(array2):
        first, second = as_view(array1, "array_concat", "array1"), as_view(array2, "array_concat", "array2")
        second_data = second.data.rename({second.dim: first.dim}) if second.dim != first.dim else second.data
        return ArrayView(xr.concat([first.data, second_data], dim=first.dim), first.dim)
    if _is_labeled(array1) and _is_labeled(array2):
        labels = view_labels(array1) + view_labels(array2)
        if len(set(map(repr, labels))) < len(labels):
            raise process_error("LabelsNotUnique", "The two arrays share labels.")
        return labeled(
            _bounded(plain_values(array1) + plain_values(array2), "array_concat", "array2"), labels
        )
    return _bounded(plain_values(array1) + plain_values(array2), "array_concat", "array2")


@process()
def array_append(data: Any, value: Any, label: Any = None) -> Any:
    if is_cube_view(data):
        extra = xr.full_like(data.data.isel({data.dim: [0]}), np.nan, dtype=float)
        extra = extra.copy(data=None) if value is None else extra * 0 + value
        return ArrayView(
            xr.concat([data.data, extra.drop_vars(data.dim, errors="ignore")], data.dim), data.dim
        )
    if _is_labeled(data):
        labels = view_labels(data)
        new_label = len(labels) if label is None else label
        if any(existing == new_label for existing in labels):
            raise process_error("LabelExists", f"The array already has a label '{new_label}'.")
        return labeled(plain_values(data) + [value], labels + [new_label])
    if label is not None:
        raise process_error("ArrayNotLabeled", "A label can only be given for a labeled array.")
    return plain_values(data) + [value]


@process()
def array_contains(data: Any, value: Any) -> Any:
    if is_cube_view(data):
        return (data.data == value).any(data.dim) if value is not None else False
    if value is None or isinstance(value, list | dict):
        return False
    return any(eq(item, value) is True for item in plain_values(data) if not isinstance(item, list | dict))


@process()
def array_find(data: Any, value: Any, reverse: bool = False) -> Any:
    if value is None:
        return None
    if is_cube_view(data):
        hits = (data.data == value).astype("int8")
        count = data.data.sizes[data.dim]
        if reverse:
            hits = hits.isel({data.dim: slice(None, None, -1)})
        position = hits.argmax(data.dim)
        position = count - 1 - position if reverse else position
        return position.where(hits.any(data.dim))
    if isinstance(value, list | dict):
        return None
    values = plain_values(data)
    order = range(len(values) - 1, -1, -1) if reverse else range(len(values))
    return next(
        (i for i in order if not isinstance(values[i], list | dict) and eq(values[i], value) is True), None
    )


@process()
def array_find_label(data: Any, label: Any) -> Any:
    return _label_position(data, label)


def _per_element(data: Any, callback: Callback, context: Any) -> list:
    """A callback run once per value of a plain array (never used for the pixels of a cube)."""
    values, labels = plain_values(data), view_labels(data)
    return [callback(x=value, index=i, label=labels[i], context=context) for i, value in enumerate(values)]


def _vectorised(view: ArrayView, callback: Callback, context: Any) -> Any:
    """A callback run once on the whole cube, with ``index`` and ``label`` as arrays along the dimension."""
    labels = view.labels or list(range(len(view)))
    index = xr.DataArray(np.arange(len(view)), dims=[view.dim])
    label = xr.DataArray(np.asarray(labels), dims=[view.dim])
    return callback(x=view.data, index=index, label=label, context=context)


@process()
def array_apply(data: Any, process: Callback, context: Any = None) -> Any:
    if is_cube_view(data):
        result = _vectorised(data, process, context)
        result = result.data if isinstance(result, ArrayView) else result
        if not isinstance(result, xr.DataArray):
            result = xr.full_like(data.data, np.nan, dtype=float) * 0 + result
        return ArrayView(result.transpose(*[d for d in data.data.dims if d in result.dims]), data.dim)
    results = _per_element(data, process, context)
    return labeled(results, view_labels(data)) if _is_labeled(data) else results


@process()
def array_filter(data: Any, condition: Callback, context: Any = None) -> Any:
    if is_cube_view(data):
        keep = _vectorised(data, condition, context)
        keep = keep.data if isinstance(keep, ArrayView) else keep
        if not isinstance(keep, xr.DataArray) or keep.dims != (data.dim,):
            raise invalid(
                "array_filter", "condition", "on a data cube the condition may only depend on index and label"
            )
        return ArrayView(data.data.isel({data.dim: np.flatnonzero(keep.values == 1)}), data.dim)
    keep = [result is True for result in _per_element(data, condition, context)]
    values = [value for value, wanted in zip(plain_values(data), keep, strict=True) if wanted]
    if _is_labeled(data):
        labels = [label for label, wanted in zip(view_labels(data), keep, strict=True) if wanted]
        return labeled(values, labels)
    return values


@process()
def count(data: Any, condition: Any = None, context: Any = None) -> Any:
    if is_cube_view(data):
        cube, dim = data.data, data.dim
        if condition is None:
            return cube.notnull().sum(dim)
        if condition is True:
            return xr.full_like(cube.isel({dim: 0}, drop=True), cube.sizes[dim], dtype=int)
        result = condition(x=cube, context=context)
        result = result.data if isinstance(result, ArrayView) else result
        return (result == 1).sum(dim)
    values = plain_values(data)
    if condition is None:
        return sum(1 for v in values if v is not None)
    if condition is True:
        return len(values)
    return sum(1 for v in values if condition(x=v, context=context) is True)


@process()
def first(data: Any, ignore_nodata: bool = True) -> Any:
    return _first_or_last(data, ignore_nodata, last=False)


@process()
def last(data: Any, ignore_nodata: bool = True) -> Any:
    return _first_or_last(data, ignore_nodata, last=True)


def _pick_valid(values: np.ndarray, last: bool) -> np.ndarray:
    """The first (or last) non-NaN value along the last axis; NaN where there is none."""
    valid = ~np.isnan(values)
    if last:
        values, valid = values[..., ::-1], valid[..., ::-1]
    position = np.argmax(valid, axis=-1)[..., np.newaxis]
    return np.take_along_axis(values, position, axis=-1)[..., 0]


def _first_or_last(data: Any, ignore_nodata: bool, last: bool) -> Any:
    if is_cube_view(data):
        cube, dim = data.data, data.dim
        if not ignore_nodata:
            return cube.isel({dim: -1 if last else 0}, drop=True)
        cube = whole_along(cube.astype(float), dim)
        return xr.apply_ufunc(
            _pick_valid,
            cube,
            input_core_dims=[[dim]],
            dask="parallelized",
            output_dtypes=[float],
            kwargs={"last": last},
        )
    values = plain_values(data)
    if last:
        values = values[::-1]
    if not values:
        return None
    if not ignore_nodata:
        return values[0]
    return next((v for v in values if v is not None), None)


@process()
def array_interpolate_linear(data: Any) -> Any:
    if is_cube_view(data):
        cube = whole_along(data.data.astype(float), data.dim)
        numeric = cube[data.dim].dtype.kind in "iufM" if data.dim in cube.coords else False
        filled = cube.interpolate_na(data.dim, method="linear", use_coordinate=numeric)
        return ArrayView(filled, data.dim)
    values = plain_values(data)
    labels = view_labels(data)
    by_label = _is_labeled(data) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in labels
    )
    where = [float(label) for label in labels] if by_label else list(range(len(values)))
    known = [i for i, v in enumerate(values) if v is not None and not (isinstance(v, float) and np.isnan(v))]
    result = list(values)
    for left, right in zip(known, known[1:], strict=False):
        for i in range(left + 1, right):
            share = (where[i] - where[left]) / (where[right] - where[left])
            result[i] = values[left] * (1 - share) + values[right] * share
    return labeled(result, labels) if _is_labeled(data) else result


@process()
def array_modify(data: Any, values: list, index: int, length: int = 0) -> Any:
    items = plain_values(data)
    if index > len(items):
        raise process_error("ArrayElementNotAvailable", f"The array has no element at index {index}.")
    return _bounded(items[:index] + list(values) + items[index + length :], "array_modify", "values")


def _order_of(values: list, asc: bool, nodata: Any) -> list[int]:
    present = [
        i for i, v in enumerate(values) if v is not None and not (isinstance(v, float) and np.isnan(v))
    ]
    missing = [i for i in range(len(values)) if i not in set(present)]
    ordered = sorted(present, key=lambda i: values[i], reverse=not asc)
    if nodata is None:
        return ordered
    return ordered + missing if nodata else missing + ordered


def _positions(values: np.ndarray, asc: bool, nodata: Any) -> np.ndarray:
    """``order`` of every array along the last axis at once. Without ``nodata`` the positions of no-data
    are left out: each array's positions come first and no-data fills its end, so that the arrays of all
    pixels keep one length."""
    keys = values.astype(np.float64)
    missing = np.isnan(keys)
    keys = np.where(missing, 0.0, keys if asc else -keys)
    first = missing if nodata is not False else ~missing  # lexsort's last key sorts first: False before True
    positions = np.lexsort((keys, first), axis=-1)
    if nodata is not None or values.dtype.kind != "f":
        return positions
    tail = np.arange(values.shape[-1]) >= values.shape[-1] - missing.sum(axis=-1, keepdims=True)
    return np.where(tail, np.nan, positions)


@process()
def order(data: Any, asc: bool = True, nodata: Any = None) -> Any:
    if is_cube_view(data):
        cube = whole_along(data.data, data.dim)
        # Integer cubes hold no no-data, so their positions stay integers; float ones may end in no-data.
        dtype = np.float64 if nodata is None and cube.dtype.kind == "f" else np.int64
        positions = xr.apply_ufunc(
            _positions,
            cube,
            input_core_dims=[[data.dim]],
            output_core_dims=[[data.dim]],
            kwargs={"asc": asc, "nodata": nodata},
            dask="parallelized",
            output_dtypes=[dtype],
        )
        return ArrayView(positions.transpose(*cube.dims).drop_vars(data.dim, errors="ignore"), data.dim)
    return _order_of(plain_values(data), asc, nodata)


@process()
def sort(data: Any, asc: bool = True, nodata: Any = None) -> Any:
    if is_cube_view(data):
        cube = whole_along(data.data, data.dim)
        ascending = xr.apply_ufunc(
            np.sort,
            cube,
            input_core_dims=[[data.dim]],
            output_core_dims=[[data.dim]],
            dask="parallelized",
            output_dtypes=[cube.dtype],
        )  # NaN sorts last
        result = ascending if asc else ascending.isel({data.dim: slice(None, None, -1)})
        return ArrayView(result.transpose(*cube.dims).drop_vars(data.dim, errors="ignore"), data.dim)
    values = plain_values(data)
    return [values[i] for i in _order_of(values, asc, nodata)]


@process()
def rearrange(data: Any, order: list) -> list:
    values = plain_values(data)
    wrong = [i for i in order if not isinstance(i, int) or not 0 <= i < len(values)]
    if wrong:
        raise invalid("rearrange", "order", f"{wrong[0]} is no index of the array of {len(values)} elements")
    return [values[i] for i in order]
