"""Dimensions and their labels: rename_labels, rename_dimension, dimension_labels, add_dimension,
drop_dimension, trim_cube."""

from __future__ import annotations

import re
from typing import Any

import dask
import numpy as np
import xarray as xr

from openeo_gip.model.labels import label_to_json
from openeo_gip.processes.cube.common import (
    SPATIAL_DIMS,
    is_temporal,
    labels_of,
    require_cube,
    require_dimension,
    to_timestamp,
)
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process

# An openEO date or date-time (RFC 3339) starts with its full date; pandas alone would also read "June".
_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _as_date(value: Any) -> np.datetime64 | None:
    """``value`` as a timestamp when it is an openEO date or date-time, else None."""
    if isinstance(value, str) and _DATE_START.match(value):
        try:
            return np.datetime64(to_timestamp(value))
        except ValueError:
            return None
    return None


def _as_label(cube: xr.DataArray, dimension: str, value: Any) -> Any:
    """A label as the user wrote it, in the type the cube stores for ``dimension``: a date of a temporal
    dimension becomes a timestamp, any other label (a time label may be renamed to any string or number)
    stays as written."""
    date = _as_date(value) if is_temporal(cube, dimension) else None
    return value if date is None else date


@process()
def dimension_labels(data: xr.DataArray, dimension: str) -> list:
    cube = require_cube(data, "dimension_labels")
    require_dimension(cube, dimension)
    return labels_of(cube, dimension)


@process()
def rename_labels(data: xr.DataArray, dimension: str, target: list, source: list | None = ()) -> xr.DataArray:
    cube = require_cube(data, "rename_labels")
    require_dimension(cube, dimension)
    current = list(cube[dimension].values) if dimension in cube.coords else list(range(cube.sizes[dimension]))
    source = list(source or [])
    if not source:
        if [label_index for label_index in range(len(current))] != [_plain(v) for v in current]:
            raise process_error("LabelsNotEnumerated", f"The labels of '{dimension}' are not 0, 1, 2, ...")
        if len(target) > len(current):
            raise process_error("LabelMismatch", "There are more target labels than labels in the dimension.")
        source = list(range(len(target)))
    elif len(source) != len(target):
        raise process_error("LabelMismatch", "source and target must have the same number of labels.")
    positions = {_plain(label): i for i, label in enumerate(current)}
    renamed = list(current)
    for old, new in zip(source, target, strict=True):
        key = _plain(_as_label(cube, dimension, old))
        if key not in positions:
            raise process_error("LabelNotAvailable", f"Dimension '{dimension}' has no label '{old}'.")
        renamed[positions[key]] = _as_label(cube, dimension, new)
    if len({_plain(v) for v in renamed}) != len(renamed):
        raise process_error("LabelExists", f"A target label already exists in dimension '{dimension}'.")
    if is_temporal(cube, dimension) and not all(isinstance(v, np.datetime64) for v in renamed):
        # Some time labels are no dates now: the dimension holds plain labels, the dates as ISO strings.
        renamed = [label_to_json(v) for v in renamed]
    return cube.assign_coords({dimension: np.array(renamed, dtype=_label_dtype(renamed))})


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) and not isinstance(value, np.datetime64) else value


def _label_dtype(labels: list) -> Any:
    return (
        object
        if any(isinstance(v, str) for v in labels) and not all(isinstance(v, str) for v in labels)
        else None
    )


@process()
def rename_dimension(data: xr.DataArray, source: str, target: str) -> xr.DataArray:
    cube = require_cube(data, "rename_dimension")
    require_dimension(cube, source)
    if target in cube.dims:
        raise process_error("DimensionExists", f"The data cube already has a dimension '{target}'.")
    if source in cube.coords:
        return cube.rename({source: target})
    return cube.rename_dims({source: target})


@process()
def add_dimension(data: xr.DataArray, name: str, label: Any, type: str = "other") -> xr.DataArray:
    cube = require_cube(data, "add_dimension")
    if name in cube.dims:
        raise process_error("DimensionExists", f"The data cube already has a dimension '{name}'.")
    value = label
    if type == "temporal":
        value = _as_date(label)
        if value is None:  # a temporal dimension is labelled by dates, else it would not be one
            raise invalid("add_dimension", "label", f"{label!r} is no date or date-time (as 2022-06-01)")
    return cube.expand_dims({name: [value]})


@process()
def drop_dimension(data: xr.DataArray, name: str) -> xr.DataArray:
    cube = require_cube(data, "drop_dimension")
    require_dimension(cube, name)
    if cube.sizes[name] > 1:
        raise process_error(
            "DimensionLabelCountMismatch",
            f"Dimension '{name}' has {cube.sizes[name]} labels; only one may be left.",
        )
    along = [str(c) for c, coord in cube.coords.items() if name in coord.dims]
    return cube.isel({name: 0}, drop=True).drop_vars(along, errors="ignore")


@process()
def trim_cube(data: xr.DataArray) -> xr.DataArray:
    cube = require_cube(data, "trim_cube")
    valid = cube.notnull()
    # Which labels hold any valid value, for all dimensions in one pass over the data.
    (*any_valid,) = dask.compute(*[valid.any(dim=[d for d in cube.dims if d != dim]) for dim in cube.dims])
    selection = {}
    for dim, keep in zip(cube.dims, any_valid, strict=True):
        positions = np.flatnonzero(np.asarray(keep))
        if dim in SPATIAL_DIMS and positions.size:  # the grid stays regular: trim the borders only
            positions = np.arange(positions[0], positions[-1] + 1)
        selection[dim] = positions
    return cube.isel(selection)
