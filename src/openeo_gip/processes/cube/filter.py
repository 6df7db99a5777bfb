"""Filters: filter_bbox, filter_temporal, filter_bands, filter_labels, filter_spatial.

Every filter is a lazy selection on the dask-backed cube; right after load_collection (or other filters)
it narrows the read itself (``pushdown.py``), so only the files, bands and windows that survive are read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from openeo_gip.model.values import Callback, ProcessContext
from openeo_gip.model.vectors import is_vector_cube
from openeo_gip.processes.cube.common import (
    band_position,
    labels_of,
    require_cube,
    require_dimension,
    temporal_dims,
    to_timestamp,
)
from openeo_gip.processes.cube.geometry import (
    bbox_in_crs,
    cube_crs,
    geojson_polygons,
    mask_outside,
    select_bbox,
    to_crs,
)
from openeo_gip.processes.cube.pushdown import sliced
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process


def parse_interval(extent: Any, process_id: str, parameter: str) -> tuple:
    """A left-closed openEO interval ``[start, end)`` as two timestamps (``None`` = open)."""
    if not isinstance(extent, list | tuple) or len(extent) != 2:
        raise invalid(process_id, parameter, "an array of exactly two dates is expected")
    if extent[0] is None and extent[1] is None:
        raise invalid(process_id, parameter, "at most one of the two boundaries may be null")
    try:
        start, end = (None if value is None else to_timestamp(value) for value in extent)
    except (ValueError, TypeError) as exc:
        raise invalid(process_id, parameter, f"not a date or date-time: {exc}") from exc
    if start is not None and end is not None and end <= start:
        raise process_error("TemporalExtentEmpty", "The end of the temporal extent must be after its start.")
    return start, end


def select_interval(
    cube: xr.DataArray, dimension: str, start, end, ctx: ProcessContext | None = None
) -> xr.DataArray:
    values = cube[dimension].values
    keep = np.ones(values.shape, dtype=bool)
    if start is not None:
        keep &= values >= np.datetime64(start)
    if end is not None:
        keep &= values < np.datetime64(end)
    return sliced(cube, {dimension: np.flatnonzero(keep)}, ctx)


@process()
def filter_bbox(data: xr.DataArray, extent: dict, *, ctx: ProcessContext | None = None) -> xr.DataArray:
    cube = require_cube(data, "filter_bbox")
    return select_bbox(cube, bbox_in_crs(extent, cube_crs(cube), "filter_bbox", "extent"), ctx)


@process()
def filter_temporal(
    data: xr.DataArray, extent: list, dimension: str | None = None, *, ctx: ProcessContext | None = None
) -> xr.DataArray:
    cube = require_cube(data, "filter_temporal")
    start, end = parse_interval(extent, "filter_temporal", "extent")
    if dimension is not None:
        require_dimension(cube, dimension)
        dimensions = [dimension]
    else:
        dimensions = temporal_dims(cube)
        if not dimensions:  # nothing to filter: the official case filter_temporal#2 expects this error
            raise process_error("DimensionNotAvailable", "The data cube has no temporal dimension.")
    for dim in dimensions:
        cube = select_interval(cube, dim, start, end, ctx)
    return cube


@process()
def filter_bands(
    data: xr.DataArray,
    bands: list | None = (),
    wavelengths: list | None = (),
    *,
    ctx: ProcessContext | None = None,
) -> xr.DataArray:
    cube = require_cube(data, "filter_bands")
    if "bands" not in cube.dims:
        raise process_error("DimensionMissing", "The data cube has no dimension of type bands.")
    bands, wavelengths = list(bands or []), list(wavelengths or [])
    if not bands and not wavelengths:
        raise process_error("BandFilterParameterMissing", "Give band names or wavelength ranges.")
    # A name that matches no band selects nothing (the definition drops non-matching bands; official case
    # filter_bands#2 expects an empty cube for an unknown name, not an error).
    positions = [position for name in bands if (position := band_position(cube, name)) is not None]
    positions += _positions_in_wavelengths(cube, wavelengths)
    unique = list(dict.fromkeys(positions))  # keep the first mention of each band, in the order asked
    return sliced(cube, {"bands": unique}, ctx)


def _positions_in_wavelengths(cube: xr.DataArray, ranges: list) -> list[int]:
    if not ranges:
        return []
    if "center_wavelength" not in cube.coords:
        raise invalid("filter_bands", "wavelengths", "the bands of this data cube have no wavelengths")
    centres = np.asarray(cube["center_wavelength"].values, dtype=float)
    positions = []
    for pair in ranges:
        low, high = pair
        positions += [int(i) for i in np.flatnonzero((centres >= low) & (centres <= high))]
    return positions


@process()
def filter_labels(
    data: xr.DataArray,
    condition: Callback,
    dimension: str,
    context: Any = None,
    *,
    ctx: ProcessContext | None = None,
):
    cube = require_cube(data, "filter_labels")
    require_dimension(cube, dimension)
    # One call per label (not per pixel): dimensions have few labels.
    labels = labels_of(cube, dimension)
    keep = [i for i, label in enumerate(labels) if condition(value=label, context=context)]
    return sliced(cube, {dimension: keep}, ctx)


@process()
def filter_spatial(data: xr.DataArray, geometries: Any, *, ctx: ProcessContext | None = None) -> xr.DataArray:
    cube = require_cube(data, "filter_spatial")
    from openeo_gip.processes.cube.zonal import union_in_crs

    if is_vector_cube(geometries):  # a vector cube carries its own CRS
        geometry = union_in_crs(geometries, cube_crs(cube), "filter_spatial", "geometries")
        return mask_outside(cube, geometry, ctx)
    geometry = geojson_polygons(geometries, "filter_spatial", "geometries")
    return mask_outside(cube, to_crs(geometry, cube_crs(cube)), ctx)
