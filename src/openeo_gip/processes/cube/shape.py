"""The shape of a cube: flatten_dimensions, unflatten_dimension, create_data_cube."""

from __future__ import annotations

import itertools

import numpy as np
import xarray as xr

from openeo_gip.model.labels import label_to_json
from openeo_gip.processes.cube.common import keep_metadata, require_cube, require_dimension
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process


def _label_text(value) -> str:
    value = label_to_json(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _labels(cube: xr.DataArray, dim: str) -> list[str]:
    values = cube[dim].values if dim in cube.coords else range(cube.sizes[dim])
    return [_label_text(v) for v in values]


@process()
def flatten_dimensions(
    data: xr.DataArray, dimensions: list, target_dimension: str, label_separator: str = "~"
) -> xr.DataArray:
    cube = require_cube(data, "flatten_dimensions")
    if not dimensions:
        raise invalid("flatten_dimensions", "dimensions", "at least one dimension is expected")
    for dim in dimensions:
        require_dimension(cube, dim)
    if target_dimension in cube.dims and target_dimension not in dimensions:
        raise process_error("TargetDimensionExists", f"A dimension '{target_dimension}' exists already.")
    position = min(cube.dims.index(dim) for dim in dimensions)
    others = [d for d in cube.dims if d not in dimensions]
    order = others[:position] + list(dimensions) + others[position:]
    labels = [
        label_separator.join(parts) for parts in itertools.product(*(_labels(cube, d) for d in dimensions))
    ]
    along = [str(n) for n, c in cube.coords.items() if set(c.dims) & set(dimensions)]
    flat = cube.transpose(*order).drop_vars(along)
    shape = (
        [flat.sizes[d] for d in others[:position]]
        + [len(labels)]
        + [flat.sizes[d] for d in others[position:]]
    )
    dims = others[:position] + [target_dimension] + others[position:]
    coords = {name: c for name, c in flat.coords.items()}
    coords[target_dimension] = labels
    result = xr.DataArray(flat.data.reshape(shape), dims=dims, coords=coords, attrs=cube.attrs)
    return keep_metadata(result, cube)


@process()
def unflatten_dimension(
    data: xr.DataArray, dimension: str, target_dimensions: list, label_separator: str = "~"
) -> xr.DataArray:
    cube = require_cube(data, "unflatten_dimension")
    require_dimension(cube, dimension)
    if len(target_dimensions) < 2:
        raise invalid(
            "unflatten_dimension", "target_dimensions", "at least two target dimensions are expected"
        )
    clashes = [d for d in target_dimensions if d in cube.dims and d != dimension]
    if clashes:
        raise process_error("TargetDimensionExists", f"A dimension '{clashes[0]}' exists already.")
    parts = [label.split(label_separator) for label in _labels(cube, dimension)]
    if any(len(p) != len(target_dimensions) for p in parts):
        raise invalid(
            "unflatten_dimension",
            "label_separator",
            f"every label must split into {len(target_dimensions)} parts at '{label_separator}'",
        )
    levels = [list(dict.fromkeys(p[i] for p in parts)) for i in range(len(target_dimensions))]
    where = {tuple(p): i for i, p in enumerate(parts)}
    grid = np.array([where.get(combo, -1) for combo in itertools.product(*levels)])
    grid = grid.reshape([len(level) for level in levels])
    along = [str(n) for n, c in cube.coords.items() if dimension in c.dims]
    source = cube.drop_vars(along)
    picked = source.isel({dimension: xr.DataArray(np.maximum(grid, 0), dims=target_dimensions)})
    # Combinations that did not occur among the labels are no-data.
    result = picked.where(xr.DataArray(grid >= 0, dims=target_dimensions))
    result = result.assign_coords(dict(zip(target_dimensions, levels, strict=True)))
    position = cube.dims.index(dimension)
    others = [d for d in cube.dims if d != dimension]
    order = others[:position] + list(target_dimensions) + others[position:]
    return keep_metadata(result.transpose(*order), cube)


@process()
def create_data_cube() -> xr.DataArray:
    """A cube without dimensions (one no-data value); add_dimension gives it dimensions."""
    return xr.DataArray(np.nan)
