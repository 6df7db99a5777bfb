"""Polygons against a raster cube: mask_polygon and apply_polygon (geometries from GeoJSON or a vector
cube, compared with pixel centres)."""

from __future__ import annotations

from typing import Any

import numpy as np
import rasterio.features
import shapely
import xarray as xr

from openeo_gip.model.values import Callback
from openeo_gip.model.vectors import geometries_of, transform_geometries, vector_crs
from openeo_gip.processes.cube.common import keep_metadata, require_cube
from openeo_gip.processes.cube.geometry import cube_crs
from openeo_gip.processes.cube.zonal import grid_transform, union_in_crs
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process
from openeo_gip.processes.vector.common import as_vector_cube

_POLYGONAL = ("Polygon", "MultiPolygon")


def centres_inside(cube: xr.DataArray, geometry: Any) -> xr.DataArray:
    """A (y, x) boolean grid: whether each pixel centre lies in ``geometry`` (in the cube's CRS)."""
    if geometry.is_empty:
        inside = np.zeros((cube.sizes["y"], cube.sizes["x"]), dtype=bool)
    else:
        inside = rasterio.features.geometry_mask(
            [geometry],
            out_shape=(cube.sizes["y"], cube.sizes["x"]),
            transform=grid_transform(cube),
            invert=True,
        )
    return xr.DataArray(inside, dims=("y", "x"), coords={"y": cube["y"], "x": cube["x"]})


def _polygons(value: Any, cube: xr.DataArray, process_id: str, parameter: str) -> Any:
    union = union_in_crs(value, cube_crs(cube), process_id, parameter)
    parts = shapely.get_parts(union)
    if not any(part.geom_type in _POLYGONAL for part in parts):
        raise invalid(process_id, parameter, "at least one polygon is expected")
    return shapely.union_all([p for p in parts if p.geom_type in _POLYGONAL])


@process()
def mask_polygon(
    data: xr.DataArray, mask: Any, replacement: Any = None, inside: bool = False
) -> xr.DataArray:
    cube = require_cube(data, "mask_polygon")
    within = centres_inside(cube, _polygons(mask, cube, "mask_polygon", "mask"))
    replace = within if inside else ~within
    fill = np.nan if replacement is None else replacement
    # No-data stays no-data whatever the replacement.
    result = cube.where(~(replace & cube.notnull()), fill)  # DataArray.where keeps the CRS coordinate
    return keep_metadata(result.transpose(*cube.dims), cube)


@process()
def apply_polygon(
    data: xr.DataArray, geometries: Any, process: Callback, mask_value: Any = None, context: Any = None
) -> xr.DataArray:
    cube = require_cube(data, "apply_polygon")
    vectors = as_vector_cube(geometries, "apply_polygon", "geometries")
    crs = cube_crs(cube)
    shapes = geometries_of(vectors)
    if crs is not None:
        shapes = transform_geometries(shapes, vector_crs(vectors), crs)
    shapes = [s for s in shapes if s is not None and not s.is_empty and s.geom_type in _POLYGONAL]
    if not shapes:
        raise invalid("apply_polygon", "geometries", "at least one polygon is expected")
    masks = [centres_inside(cube, shape) for shape in shapes]
    if sum(m.astype(int) for m in masks).max() > 1:
        raise process_error("GeometriesOverlap", "The polygons overlap; each pixel may belong to one only.")
    fill = np.nan if mask_value is None else mask_value
    result = xr.full_like(cube, fill, dtype=np.result_type(cube.dtype, np.float32))
    for inside in masks:  # one callback call per polygon, on the cube masked to it
        piece = process(data=cube.where(inside), context=context)
        if not isinstance(piece, xr.DataArray) or piece.sizes != cube.sizes:
            raise invalid("apply_polygon", "process", "the process must return a cube of the same shape")
        result = result.where(~inside, piece.transpose(*cube.dims))
    return keep_metadata(result.transpose(*cube.dims), cube)
