"""Spatial reductions: aggregate_spatial (zonal statistics into a vector cube) and reduce_spatial.

The reducer runs once for all geometries: the pixels of every geometry are gathered (one lazy pointwise
selection) into a ``(..., geometry, _member)`` array padded with no-data up to the largest geometry, and
the reducer works along ``_member``. Reducers of the openEO catalogue ignore no-data by default, so the
padding does not change their results.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import rasterio.features
import shapely
import xarray as xr
from rasterio.transform import Affine

from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.model.vectors import (
    GEOMETRY,
    feature_properties,
    geometries_of,
    transform_geometries,
    vector_crs,
)
from openeo_gip.processes.cube.common import require_cube, require_dimension
from openeo_gip.processes.cube.geometry import cube_crs
from openeo_gip.processes.cube.reduce import finish_reduction
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process
from openeo_gip.processes.vector.common import as_vector_cube

_MEMBER = "_member"
_SPATIAL = "_spatial"
_POLYGONAL = ("Polygon", "MultiPolygon")


def grid_transform(cube: xr.DataArray) -> Affine:
    """The affine transform of the cube's x/y grid (from the coordinates when there are at least two)."""
    return cube.rio.transform(recalc=cube.sizes["x"] > 1 and cube.sizes["y"] > 1)


def pixels_of(geometry: Any, xs: np.ndarray, ys: np.ndarray, transform: Affine) -> tuple:
    """Row and column indices of the pixels a geometry covers: pixel centres inside polygons, pixels
    touched by points and lines. Only the geometry's window of the grid is rasterised."""
    empty = (np.empty(0, dtype=int), np.empty(0, dtype=int))
    if geometry is None or geometry.is_empty:
        return empty
    west, south, east, north = geometry.bounds
    half_x, half_y = abs(transform.a) / 2, abs(transform.e) / 2
    cols = np.flatnonzero((xs >= west - half_x) & (xs <= east + half_x))
    rows = np.flatnonzero((ys >= south - half_y) & (ys <= north + half_y))
    if cols.size == 0 or rows.size == 0:
        return empty
    row0, col0 = int(rows[0]), int(cols[0])
    window = (int(rows[-1]) - row0 + 1, int(cols[-1]) - col0 + 1)
    inside = rasterio.features.geometry_mask(
        [geometry],
        out_shape=window,
        transform=transform @ Affine.translation(col0, row0),
        invert=True,
        all_touched=geometry.geom_type not in _POLYGONAL,
    )
    r, c = np.nonzero(inside)
    return r + row0, c + col0


def gather_members(cube: xr.DataArray, shapes: list) -> tuple[xr.DataArray, np.ndarray]:
    """The pixels of each geometry side by side: ``(..., geometry, _member)`` padded with NaN, and the
    number of pixels of each geometry."""
    xs, ys, transform = cube["x"].values, cube["y"].values, grid_transform(cube)
    members = [pixels_of(shape, xs, ys, transform) for shape in shapes]
    counts = np.array([rows.size for rows, _ in members], dtype=int)
    width = max(1, int(counts.max()) if counts.size else 1)
    row_index = np.zeros((len(shapes), width), dtype=int)
    col_index = np.zeros((len(shapes), width), dtype=int)
    for i, (rows, cols) in enumerate(members):
        row_index[i, : rows.size], col_index[i, : cols.size] = rows, cols
    valid = np.arange(width)[None, :] < counts[:, None]
    dims = (GEOMETRY, _MEMBER)
    gathered = cube.isel(y=xr.DataArray(row_index, dims=dims), x=xr.DataArray(col_index, dims=dims))
    gathered = gathered.drop_vars(["x", "y", "spatial_ref"], errors="ignore")
    return gathered.where(xr.DataArray(valid, dims=dims)), counts


@process()
def aggregate_spatial(
    data: xr.DataArray,
    geometries: Any,
    reducer: Callback,
    target_dimension: str | None = None,
    context: Any = None,
) -> xr.DataArray:
    cube = require_cube(data, "aggregate_spatial")
    for dim in ("x", "y"):
        require_dimension(cube, dim)
    vectors = as_vector_cube(geometries, "aggregate_spatial", "geometries")
    if target_dimension is not None and (target_dimension in cube.dims or target_dimension == GEOMETRY):
        raise process_error("TargetDimensionExists", f"A dimension '{target_dimension}' exists already.")
    crs = cube_crs(cube)
    originals = geometries_of(vectors)
    shapes = originals if crs is None else transform_geometries(originals, vector_crs(vectors), crs)
    gathered, counts = gather_members(cube, list(shapes))
    result = reducer(data=ArrayView(gathered, _MEMBER), context=context)
    values = finish_reduction(result, gathered, _MEMBER, "aggregate_spatial")
    if target_dimension is not None:
        total = xr.DataArray(counts.astype(float), dims=(GEOMETRY,)).broadcast_like(values)
        valid = gathered.notnull().sum(_MEMBER).astype(float)
        stats = [values.astype(float), total, valid]
        values = xr.concat(stats, dim=target_dimension, coords="minimal", compat="override")
        values = values.assign_coords({target_dimension: ["value", "total_count", "valid_count"]})
    return _as_vector_result(values, vectors)


def _as_vector_result(values: xr.DataArray, vectors: xr.DataArray) -> xr.DataArray:
    """Label the geometry dimension with the given geometries and their properties, geometry first."""
    values = values.drop_vars(["spatial_ref"], errors="ignore")
    coords = {GEOMETRY: vectors[GEOMETRY].values}
    coords |= {name: (GEOMETRY, vectors[name].values) for name in feature_properties(vectors)}
    values = values.assign_coords(coords)
    values.attrs = {"crs": vectors.attrs.get("crs", "EPSG:4326")}
    return values.transpose(GEOMETRY, ...)


@process()
def reduce_spatial(data: xr.DataArray, reducer: Callback, context: Any = None) -> xr.DataArray:
    cube = require_cube(data, "reduce_spatial")
    for dim in ("x", "y"):
        require_dimension(cube, dim)
    flat = cube.stack({_SPATIAL: ("y", "x")})
    result = reducer(data=ArrayView(flat, _SPATIAL), context=context)
    reduced = finish_reduction(result, flat, _SPATIAL, "reduce_spatial")
    if isinstance(reduced, xr.DataArray):
        reduced = reduced.drop_vars(["x", "y", _SPATIAL, "spatial_ref"], errors="ignore")
    return reduced


def union_in_crs(value: Any, crs: Any, process_id: str, parameter: str) -> Any:
    """All geometries of a vector cube or GeoJSON, merged and brought to ``crs`` (None: unchanged)."""
    vectors = as_vector_cube(value, process_id, parameter)
    shapes = geometries_of(vectors)
    if crs is not None:
        shapes = transform_geometries(shapes, vector_crs(vectors), crs)
    shapes = [s for s in shapes if s is not None and not s.is_empty]
    if not shapes:
        raise invalid(process_id, parameter, "there are no geometries")
    return shapely.union_all(shapes)
