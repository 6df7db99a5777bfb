"""Statistics over arrays: one nan-aware reduction along ``view.dim`` for cubes, numpy for plain lists.

In plain lists null is left out (``ignore_nodata``) or makes the result null, while NaN is a number that
spreads through the computation, as the definitions ask. In cubes NaN is no data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from openeo_gip.model.limits import MAX_QUANTILES
from openeo_gip.model.values import ArrayView
from openeo_gip.processes.arraylike import as_view, is_plain_array, plain_values, to_python
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process

# Order statistics hold whole series along a dimension: a chunk of them stays this small, so a few threads
# with a few copies each (sorting, masking) fit in memory even for long time series.
WHOLE_CHUNK_BYTES = 32 * 1024**2


def whole_along(cube: xr.DataArray, dim: str) -> xr.DataArray:
    """``cube`` with one chunk along ``dim``, which order statistics need; chunks along ``y`` and ``x``
    are halved (staying whole tiles of the reader's chunks) until one holds at most ``WHOLE_CHUNK_BYTES``."""
    if cube.chunks is None:
        return cube
    edges = {name: max(chunks, default=0) for name, chunks in zip(cube.dims, cube.chunks, strict=True)}
    edges[dim] = cube.sizes[dim]
    smaller: dict[str, int] = {}
    while math.prod(edges.values()) * cube.dtype.itemsize > WHOLE_CHUNK_BYTES:
        widest = max(
            (name for name in ("y", "x") if name in edges and name != dim), key=edges.get, default=None
        )
        if widest is None or edges[widest] <= 128:
            break
        edges[widest] = smaller[widest] = math.ceil(edges[widest] / 2)
    if smaller:
        # Split first, then join along ``dim``: in one step Dask's planner may join whole large chunks
        # along ``dim`` before splitting them, holding every date of a large window at once.
        cube = cube.chunk(smaller)
    if len(cube.chunks[cube.get_axis_num(dim)]) > 1:
        return cube.chunk({dim: -1})
    return cube


def nanmedian(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """The median along ``axis`` ignoring NaN, equal to ``np.nanmedian`` but from one sort (NaN sorts
    last) rather than masked arrays: several times faster, and one copy of the input instead of three."""
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float64)
    if values.shape[axis] == 0:
        return np.full(np.delete(values.shape, axis % values.ndim), np.nan, dtype=values.dtype)
    ordered = np.sort(values, axis=axis)
    count = np.count_nonzero(~np.isnan(ordered), axis=axis, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum(count - 1, 0) // 2, axis)
    high = np.take_along_axis(ordered, count // 2, axis)
    return np.squeeze(np.where(count > 0, (low + high) / 2, np.nan), axis).astype(values.dtype)


def _median_of_cube(cube: xr.DataArray, dim: str, skip: bool) -> xr.DataArray:
    cube = whole_along(cube, dim)
    if not skip:
        return cube.median(dim, skipna=False)
    dtype = cube.dtype if np.issubdtype(cube.dtype, np.floating) else np.dtype("float64")
    return xr.apply_ufunc(
        nanmedian, cube, input_core_dims=[[dim]], dask="parallelized", output_dtypes=[dtype]
    )


def _reduce(
    data: Any,
    ignore_nodata: bool,
    process_id: str,
    on_list: Callable[[np.ndarray], Any],
    on_cube: Callable[[xr.DataArray, str, bool], xr.DataArray],
) -> Any:
    if is_plain_array(data):
        values = plain_values(data)
        if not ignore_nodata and any(v is None for v in values):
            return None
        kept = [v for v in values if v is not None]
        if not kept:
            return None
        with np.errstate(all="ignore"):
            return to_python(on_list(np.array(kept, dtype=float)))
    view = as_view(data, process_id)
    return on_cube(view.data, view.dim, ignore_nodata)


@process()
def mean(data: Any, ignore_nodata: bool = True) -> Any:
    return _reduce(data, ignore_nodata, "mean", np.mean, lambda c, d, skip: c.mean(d, skipna=skip))


@process()
def median(data: Any, ignore_nodata: bool = True) -> Any:
    return _reduce(data, ignore_nodata, "median", np.median, _median_of_cube)


@process("min")
def min_(data: Any, ignore_nodata: bool = True) -> Any:
    return _reduce(data, ignore_nodata, "min", np.min, lambda c, d, skip: c.min(d, skipna=skip))


@process("max")
def max_(data: Any, ignore_nodata: bool = True) -> Any:
    return _reduce(data, ignore_nodata, "max", np.max, lambda c, d, skip: c.max(d, skipna=skip))


@process("sum")
def sum_(data: Any, ignore_nodata: bool = True) -> Any:
    return _reduce(data, ignore_nodata, "sum", np.sum, lambda c, d, skip: c.sum(d, skipna=skip, min_count=1))


@process()
def product(data: Any, ignore_nodata: bool = True) -> Any:
    return _reduce(
        data, ignore_nodata, "product", np.prod, lambda c, d, skip: c.prod(d, skipna=skip, min_count=1)
    )


@process()
def sd(data: Any, ignore_nodata: bool = True) -> Any:
    return _reduce(
        data,
        ignore_nodata,
        "sd",
        lambda v: np.std(v, ddof=1),
        lambda c, d, skip: c.std(d, skipna=skip, ddof=1),
    )


@process()
def variance(data: Any, ignore_nodata: bool = True) -> Any:
    return _reduce(
        data,
        ignore_nodata,
        "variance",
        lambda v: np.var(v, ddof=1),
        lambda c, d, skip: c.var(d, skipna=skip, ddof=1),
    )


@process()
def extrema(data: Any, ignore_nodata: bool = True) -> Any:
    if is_plain_array(data):
        low = _reduce(data, ignore_nodata, "extrema", np.min, None)
        high = _reduce(data, ignore_nodata, "extrema", np.max, None)
        return [low, high]
    view = as_view(data, "extrema")
    cube, dim = view.data, view.dim
    both = xr.concat([cube.min(dim, skipna=ignore_nodata), cube.max(dim, skipna=ignore_nodata)], dim=dim)
    return ArrayView(both, dim)


def _probabilities(probabilities: Any, q: Any) -> list[float]:
    if probabilities is None and q is None:
        raise process_error("QuantilesParameterMissing", "Give either 'probabilities' or 'q'.")
    if probabilities is not None and q is not None:
        raise process_error("QuantilesParameterConflict", "Give 'probabilities' or 'q', not both.")
    count = q if probabilities is None else probabilities
    parameter = "q" if probabilities is None else "probabilities"
    if isinstance(count, int | float) and not isinstance(count, bool):
        if not count <= MAX_QUANTILES:  # NaN included
            raise invalid("quantiles", parameter, f"at most {MAX_QUANTILES} intervals")
        if count < 2 or count != int(count):
            raise invalid("quantiles", parameter, "a whole number of at least 2 intervals is needed")
        return [k / int(count) for k in range(1, int(count))]
    if len(count) > MAX_QUANTILES:
        raise invalid("quantiles", parameter, f"at most {MAX_QUANTILES} probabilities")
    return list(count)


def _quantile(ordered: list[float], probability: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default), written so that infinities at
    either end stay infinities instead of becoming NaN."""
    if any(np.isnan(v) for v in ordered):
        return math.nan
    position = (len(ordered) - 1) * probability
    low = math.floor(position)
    share = position - low
    if share == 0:
        return ordered[low]
    return ordered[low] * (1 - share) + ordered[low + 1] * share


@process()
def quantiles(data: Any, probabilities: Any = None, q: Any = None, ignore_nodata: bool = True) -> Any:
    wanted = _probabilities(probabilities, q)
    if is_plain_array(data):
        values = plain_values(data)
        kept = [v for v in values if v is not None]
        if not kept or (not ignore_nodata and len(kept) < len(values)):
            return [None] * len(wanted)
        return [_quantile(sorted(kept), p) for p in wanted]
    view = as_view(data, "quantiles")
    cube = whole_along(view.data, view.dim)
    result = cube.quantile(wanted, dim=view.dim, skipna=ignore_nodata).drop_vars("quantile")
    result = result.rename({"quantile": view.dim}).transpose(*cube.dims)
    return ArrayView(result, view.dim)


# ---- cumulative -------------------------------------------------------------------------------------

_ACCUMULATORS = {
    "cumsum": (np.add, 0.0),
    "cumproduct": (np.multiply, 1.0),
    "cummax": (np.maximum, -np.inf),
    "cummin": (np.minimum, np.inf),
}


def _accumulate(values: np.ndarray, ufunc: np.ufunc, identity: float, ignore_nodata: bool) -> np.ndarray:
    """Running ``ufunc`` along the last axis; NaN (null) skipped and kept in place, or spreading onwards."""
    values = values.astype(float)
    if not ignore_nodata:
        return ufunc.accumulate(values, axis=-1)
    missing = np.isnan(values)
    running = ufunc.accumulate(np.where(missing, identity, values), axis=-1)
    return np.where(missing, np.nan, running)


def _cumulative(process_id: str, data: Any, ignore_nodata: bool) -> Any:
    ufunc, identity = _ACCUMULATORS[process_id]
    if is_plain_array(data):
        values = plain_values(data)
        nulls = np.array([v is None for v in values], dtype=bool)
        numbers = np.array([identity if v is None else v for v in values], dtype=float)
        with np.errstate(all="ignore"):
            running = ufunc.accumulate(numbers) if len(values) else numbers
        if ignore_nodata:
            return [None if null else to_python(v) for null, v in zip(nulls, running, strict=True)]
        after_null = np.cumsum(nulls) > 0
        return [None if gone else to_python(v) for gone, v in zip(after_null, running, strict=True)]
    view = as_view(data, process_id)
    cube = whole_along(view.data, view.dim)
    result = xr.apply_ufunc(
        _accumulate,
        cube,
        input_core_dims=[[view.dim]],
        output_core_dims=[[view.dim]],
        dask="parallelized",
        output_dtypes=[float],
        kwargs={"ufunc": ufunc, "identity": identity, "ignore_nodata": ignore_nodata},
    ).transpose(*cube.dims)
    return ArrayView(result, view.dim)


@process()
def cumsum(data: Any, ignore_nodata: bool = True) -> Any:
    return _cumulative("cumsum", data, ignore_nodata)


@process()
def cumproduct(data: Any, ignore_nodata: bool = True) -> Any:
    return _cumulative("cumproduct", data, ignore_nodata)


@process()
def cummax(data: Any, ignore_nodata: bool = True) -> Any:
    return _cumulative("cummax", data, ignore_nodata)


@process()
def cummin(data: Any, ignore_nodata: bool = True) -> Any:
    return _cumulative("cummin", data, ignore_nodata)
