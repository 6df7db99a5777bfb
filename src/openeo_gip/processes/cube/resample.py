"""resample_spatial: change resolution and/or projection, lazily, one output chunk per dask task."""

from __future__ import annotations

import math
from typing import Any

import dask.array as da
import numpy as np
import rasterio.warp
import xarray as xr
from rasterio.enums import Resampling
from rasterio.transform import Affine

from openeo_gip.model.limits import MAX_GRID_EDGE
from openeo_gip.processes.cube.common import keep_metadata, require_cube
from openeo_gip.processes.cube.geometry import cube_crs, parse_crs
from openeo_gip.processes.cube.warp import Grid, warp
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process

_METHODS = {
    "near": Resampling.nearest,
    "bilinear": Resampling.bilinear,
    "cubic": Resampling.cubic,
    "cubicspline": Resampling.cubic_spline,
    "lanczos": Resampling.lanczos,
    "average": Resampling.average,
    "mode": Resampling.mode,
    "max": Resampling.max,
    "min": Resampling.min,
    "med": Resampling.med,
    "q1": Resampling.q1,
    "q3": Resampling.q3,
    "sum": Resampling.sum,
    "rms": Resampling.rms,
}


@process()
def resample_spatial(
    data: xr.DataArray,
    resolution: Any = 0,
    projection: Any = None,
    method: str = "near",
    align: str = "upper-left",
) -> xr.DataArray:
    cube = require_cube(data, "resample_spatial")
    if method not in _METHODS:
        raise invalid("resample_spatial", "method", f"'{method}' is not one of {', '.join(_METHODS)}")
    source_crs = cube_crs(cube)
    if source_crs is None:
        raise invalid("resample_spatial", "data", "the data cube has no coordinate reference system")
    target_crs = source_crs if projection is None else parse_crs(projection, "resample_spatial", "projection")
    res_x, res_y = _resolution(resolution)
    if target_crs == source_crs and res_x == 0 and res_y == 0:
        return cube
    source_transform = cube.rio.transform(recalc=True)
    width, height = cube.sizes["x"], cube.sizes["y"]
    west, south, east, north = rasterio.transform.array_bounds(height, width, source_transform)
    default, default_width, default_height = rasterio.warp.calculate_default_transform(
        source_crs, target_crs, width, height, west, south, east, north
    )
    res_x, res_y = res_x or default.a, res_y or -default.e
    # The grid starts at the upper-left corner of the reprojected extent; other alignments are not
    # distinguished (the extents differ by less than one target pixel).
    left, top = default.c, default.f
    right, bottom = left + default.a * default_width, top + default.e * default_height
    edges = ((right - left) / res_x, (top - bottom) / res_y)
    if not all(edge <= MAX_GRID_EDGE for edge in edges):  # NaN and infinity included
        raise invalid(
            "resample_spatial", "resolution", f"the grid would be more than {MAX_GRID_EDGE} pixels wide"
        )
    target_width, target_height = (max(1, math.ceil(round(edge, 6))) for edge in edges)
    target_transform = Affine(res_x, 0.0, left, 0.0, -res_y, top)

    cube = cube.transpose(..., "y", "x")
    values = cube.data if isinstance(cube.data, da.Array) else da.from_array(cube.data)
    warped = warp(
        values,
        Grid(source_transform, source_crs, (height, width)),
        Grid(target_transform, target_crs, (target_height, target_width)),
        _METHODS[method],
    )
    coords = {
        name: coord for name, coord in cube.coords.items() if "x" not in coord.dims and "y" not in coord.dims
    }
    coords["x"] = left + res_x * (np.arange(target_width) + 0.5)
    coords["y"] = top - res_y * (np.arange(target_height) + 0.5)
    result = xr.DataArray(warped, dims=cube.dims, coords=coords, attrs=cube.attrs)
    result = result.drop_vars("spatial_ref", errors="ignore").rio.write_crs(target_crs)
    return keep_metadata(result.rio.write_transform(target_transform), cube)


def _resolution(resolution: Any) -> tuple[float, float]:
    if isinstance(resolution, int | float) and not isinstance(resolution, bool):
        pair = (float(resolution), float(resolution))
    elif isinstance(resolution, list | tuple) and len(resolution) == 2:
        pair = (float(resolution[0]), float(resolution[1]))
    else:
        raise invalid("resample_spatial", "resolution", "a number or an array of two numbers is expected")
    if min(pair) < 0:
        raise invalid("resample_spatial", "resolution", "resolutions must not be negative")
    return pair
