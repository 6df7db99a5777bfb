"""Processes that combine two cubes: merge_cubes and mask."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from openeo_gip.model.values import Callback
from openeo_gip.processes.cube.common import keep_metadata, require_cube
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process

# Dimensions whose labels have a natural order stay sorted after a merge (spatial and temporal ones).
_ORDERED = {"x", "y", "t"}


@process()
def merge_cubes(
    cube1: xr.DataArray, cube2: xr.DataArray, overlap_resolver: Callback | None = None, context: Any = None
) -> xr.DataArray:
    first = require_cube(cube1, "merge_cubes", "cube1")
    second = require_cube(cube2, "merge_cubes", "cube2")
    missing = set(second.dims) - set(first.dims)
    if missing:
        raise invalid("merge_cubes", "cube2", f"cube1 has no dimension {', '.join(map(str, missing))}")
    second = second.drop_vars([c for c in second.coords if c not in second.dims and c in first.coords])
    # Outer join on every dimension: positions a cube has no label for become NaN in its aligned copy.
    left, right = xr.align(first, second, join="outer")
    left, right = _restore_label_order(left, first, second), _restore_label_order(right, first, second)
    in_both = _label_overlap(left, first, second)
    if in_both is None:
        merged = left.combine_first(right)
        return keep_metadata(merged.transpose(*left.dims), first)
    if overlap_resolver is None:
        raise process_error(
            "OverlapResolverMissing", "The two data cubes share labels on every dimension; give a resolver."
        )
    resolved = overlap_resolver(x=left, y=right, context=context)
    outside = left.where(_has_labels(left, first), right)
    merged = xr.where(in_both, resolved, outside)
    return keep_metadata(merged.transpose(*left.dims), first)


def _restore_label_order(aligned: xr.DataArray, first: xr.DataArray, second: xr.DataArray):
    """Nominal labels (bands...) keep cube1's order followed by cube2's new ones, not sorted."""
    order = {}
    for dim in aligned.dims:
        if dim in _ORDERED or dim not in first.coords:
            continue
        labels = list(first[dim].values)
        if dim in second.coords:
            labels += [v for v in second[dim].values if v not in set(labels)]
        order[dim] = labels
    return aligned.sel(order) if order else aligned


def _membership(aligned: xr.DataArray, cube: xr.DataArray) -> list[xr.DataArray]:
    """Per dimension of ``cube``: which aligned labels ``cube`` has."""
    masks = []
    for dim in cube.dims:
        labels = aligned[dim].values
        masks.append(xr.DataArray(np.isin(labels, cube[dim].values), dims=(dim,), coords={dim: labels}))
    return masks


def _has_labels(aligned: xr.DataArray, cube: xr.DataArray) -> xr.DataArray:
    result = xr.DataArray(True)
    for mask in _membership(aligned, cube):
        result = result & mask
    return result


def _label_overlap(aligned: xr.DataArray, first: xr.DataArray, second: xr.DataArray):
    """Where both cubes have labels, or ``None`` when they share no cell at all."""
    both = _has_labels(aligned, first) & _has_labels(aligned, second)
    return both if bool(both.any()) else None


@process()
def mask(data: xr.DataArray, mask: xr.DataArray, replacement: Any = None) -> xr.DataArray:
    cube = require_cube(data, "mask")
    cover = require_cube(mask, "mask", "mask")
    for dim in cover.dims:
        if dim not in cube.dims:
            raise process_error("IncompatibleDataCubes", f"The mask has dimension '{dim}' the data lacks.")
        if dim in cover.coords and dim in cube.coords and not _same_labels(cube[dim], cover[dim]):
            raise process_error("IncompatibleDataCubes", f"Mask and data differ in the labels of '{dim}'.")
    # Compare positionally: labels were checked above and float coordinates may differ in the last bit.
    cover = cover.drop_vars([c for c in cover.coords if c not in cover.dims or c in cube.coords])
    cover = cover.assign_coords({dim: cube[dim] for dim in cover.dims if dim in cube.coords})
    masked = _masking(cover)
    value = np.nan if replacement is None else replacement
    return keep_metadata(cube.where(~masked, value).transpose(*cube.dims), cube)


def _masking(cover: xr.DataArray) -> xr.DataArray:
    """Where ``cover`` masks: true or non-zero; null (NaN) masks nothing. Two passes over a float mask."""
    if cover.dtype == bool:
        return cover
    return np.abs(cover) > 0 if cover.dtype.kind == "f" else cover != 0


def _same_labels(a: xr.DataArray, b: xr.DataArray) -> bool:
    if a.size != b.size:
        return False
    if np.issubdtype(a.dtype, np.floating) and np.issubdtype(b.dtype, np.floating):
        return bool(np.allclose(a.values, b.values))
    return bool((a.values == b.values).all())
