"""Processes that run a callback over a cube: reduce_dimension, apply, apply_dimension,
aggregate_temporal_period. Each callback is evaluated once on whole (lazy) xarray objects."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.cube.common import (
    full_like_without,
    is_temporal,
    keep_metadata,
    require_cube,
    require_dimension,
    temporal_dims,
)
from openeo_gip.processes.cube.periods import PERIODS, period_groups
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process


def _coords_along(cube: xr.DataArray, dimension: str) -> list[str]:
    """Coordinates that label ``dimension`` (its index and e.g. ``common_name`` on bands)."""
    return [str(name) for name, coord in cube.coords.items() if dimension in coord.dims]


def finish_reduction(result: Any, cube: xr.DataArray, dimension: str, process_id: str) -> xr.DataArray:
    """Turn what a reducer returned into ``cube`` without ``dimension``."""
    if isinstance(result, ArrayView):
        result = result.data
    if isinstance(result, xr.DataArray):
        if dimension in result.dims:
            if result.sizes[dimension] != 1:
                raise invalid(process_id, "reducer", "the reducer must compute a single value")
            result = result.isel({dimension: 0})
        result = result.drop_vars(_coords_along(cube, dimension), errors="ignore")
        return keep_metadata(result, cube)
    if isinstance(result, np.ndarray) and result.ndim == 0:
        result = result.item()
    if result is None or isinstance(result, bool | int | float | np.generic):
        return keep_metadata(full_like_without(cube, dimension, result), cube)
    raise invalid(process_id, "reducer", f"the reducer returned {type(result).__name__}, not a value")


@process()
def reduce_dimension(data: xr.DataArray, reducer: Callback, dimension: str, context: Any = None):
    cube = require_cube(data, "reduce_dimension")
    require_dimension(cube, dimension)
    result = reducer(data=ArrayView(cube, dimension), context=context)
    return finish_reduction(result, cube, dimension, "reduce_dimension")


@process()
def apply(data: Any, process: Callback, context: Any = None) -> Any:
    if not isinstance(data, xr.DataArray):
        return process(x=data, context=context)
    result = process(x=data, context=context)
    if isinstance(result, xr.DataArray):
        return keep_metadata(result, data)
    return keep_metadata(full_like_without(data, None, result), data)


@process()
def apply_dimension(
    data: xr.DataArray,
    process: Callback,
    dimension: str,
    target_dimension: str | None = None,
    context: Any = None,
) -> xr.DataArray:
    cube = require_cube(data, "apply_dimension")
    require_dimension(cube, dimension)
    target = target_dimension or dimension
    if target != dimension and target in cube.dims:
        cube = _without_single_label(cube, target)
    values = _as_array_along(process(data=ArrayView(cube, dimension), context=context), cube, dimension)
    count = values.sizes[dimension]
    values = values.drop_vars(_coords_along(values, dimension), errors="ignore")
    if target == dimension and count == cube.sizes[dimension]:
        values = values.assign_coords({name: cube.coords[name] for name in _coords_along(cube, dimension)})
    else:
        values = values.assign_coords({dimension: np.arange(count)})
    if target != dimension:
        values = values.rename({dimension: target})
    if target in data.dims:  # the target keeps its place (the source's, when it is the source)
        order = [dim for dim in data.dims if dim == target or dim != dimension]
    else:  # a new target takes the place of the source
        order = [target if dim == dimension else dim for dim in data.dims]
    order += [dim for dim in values.dims if dim not in order]
    return keep_metadata(values.transpose(*order), cube)


def _without_single_label(cube: xr.DataArray, target: str) -> xr.DataArray:
    """An existing target dimension of one label is where the computed values go: its label is replaced by
    the values' numbers. With several labels each one would bring its own values, more than fit in it."""
    if cube.sizes[target] != 1:
        raise invalid(
            "apply_dimension",
            "target_dimension",
            f"the cube's dimension '{target}' has {cube.sizes[target]} labels; a target dimension that "
            "exists must have a single label (reduce it first, or name a new dimension)",
        )
    return cube.isel({target: 0}, drop=True).drop_vars(_coords_along(cube, target), errors="ignore")


def _as_array_along(result: Any, cube: xr.DataArray, dimension: str) -> xr.DataArray:
    """What an apply_dimension callback returned, as a DataArray that has ``dimension``."""
    if isinstance(result, ArrayView):
        values = result.data
        if result.dim != dimension:
            values = values.rename({result.dim: dimension})
        return values
    if isinstance(result, xr.DataArray):
        if dimension in result.dims:
            return result
        return result.expand_dims(dimension)  # a single value per pixel: an array of length one
    if isinstance(result, np.ndarray) and result.ndim == 0:
        result = result.item()
    if result is None or isinstance(result, bool | int | float | np.generic):
        return full_like_without(cube, dimension, result).expand_dims(dimension)
    raise invalid("apply_dimension", "process", f"the process returned {type(result).__name__}, not an array")


@process()
def aggregate_temporal_period(
    data: xr.DataArray, period: str, reducer: Callback, dimension: str | None = None, context: Any = None
) -> xr.DataArray:
    cube = require_cube(data, "aggregate_temporal_period")
    dim = _temporal_dimension(cube, dimension)
    if period not in PERIODS:
        raise invalid("aggregate_temporal_period", "period", f"'{period}' is not one of {', '.join(PERIODS)}")
    labels, pieces = [], []
    for label, positions in period_groups(period, cube[dim].values):
        labels.append(label)
        if positions.size:
            group = cube.isel({dim: positions})
            result = reducer(data=ArrayView(group, dim), context=context)
            pieces.append(finish_reduction(result, group, dim, "aggregate_temporal_period"))
        else:
            pieces.append(None)
    template = next((piece for piece in pieces if piece is not None), None)
    if template is None:
        return cube
    # A period without time stamps reduces an empty array: no-data.
    empty = xr.full_like(template, np.nan, dtype=np.result_type(template.dtype, np.float32))
    pieces = [empty if piece is None else piece for piece in pieces]
    result = xr.concat(pieces, dim=pd.Index(labels, name=dim), coords="minimal", compat="override")
    order = [d for d in cube.dims if d in result.dims]
    return keep_metadata(result.transpose(*order), cube)


def _temporal_dimension(cube: xr.DataArray, dimension: str | None) -> str:
    if dimension is not None:
        require_dimension(cube, dimension)
        if not is_temporal(cube, dimension):
            raise process_error("DimensionNotAvailable", f"Dimension '{dimension}' is not temporal.")
        return dimension
    candidates = temporal_dims(cube)
    if not candidates:
        raise process_error("DimensionNotAvailable", "The data cube has no temporal dimension.")
    if len(candidates) > 1:
        raise process_error("TooManyDimensions", "The data cube has several temporal dimensions; name one.")
    return candidates[0]
