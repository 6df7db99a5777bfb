"""resample_cube_spatial: warp a cube onto the x/y grid (CRS, resolution, extent) of another cube."""

from __future__ import annotations

import dask.array as da
import numpy as np
import xarray as xr

from openeo_gip.processes.cube.common import keep_metadata, require_cube, require_dimension
from openeo_gip.processes.cube.geometry import cube_crs
from openeo_gip.processes.cube.resample import _METHODS
from openeo_gip.processes.cube.warp import Grid, warp
from openeo_gip.processes.cube.zonal import grid_transform
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process


def _same_grid(a: xr.DataArray, b: xr.DataArray) -> bool:
    return (
        cube_crs(a) == cube_crs(b)
        and a.sizes["x"] == b.sizes["x"]
        and a.sizes["y"] == b.sizes["y"]
        and np.allclose(a["x"].values, b["x"].values)
        and np.allclose(a["y"].values, b["y"].values)
    )


@process()
def resample_cube_spatial(data: xr.DataArray, target: xr.DataArray, method: str = "near") -> xr.DataArray:
    cube = require_cube(data, "resample_cube_spatial")
    target = require_cube(target, "resample_cube_spatial", "target")
    for dim in ("x", "y"):
        require_dimension(cube, dim)
        require_dimension(target, dim)
    if method not in _METHODS:
        raise invalid("resample_cube_spatial", "method", f"'{method}' is not one of {', '.join(_METHODS)}")
    source_crs, target_crs = cube_crs(cube), cube_crs(target)
    if source_crs is None or target_crs is None:
        raise invalid("resample_cube_spatial", "data", "both cubes need a coordinate reference system")
    if _same_grid(cube, target):
        return cube
    order = cube.dims
    cube = cube.transpose(..., "y", "x")
    values = cube.data if isinstance(cube.data, da.Array) else da.from_array(cube.data)
    source_shape = (cube.sizes["y"], cube.sizes["x"])
    target_transform = grid_transform(target)
    warped = warp(
        values,
        Grid(grid_transform(cube), source_crs, source_shape),
        Grid(target_transform, target_crs, (target.sizes["y"], target.sizes["x"])),
        _METHODS[method],
    )
    coords = {name: c for name, c in cube.coords.items() if "x" not in c.dims and "y" not in c.dims}
    coords |= {"x": target["x"].values, "y": target["y"].values}
    result = xr.DataArray(warped, dims=cube.dims, coords=coords, attrs=cube.attrs)
    result = result.drop_vars("spatial_ref", errors="ignore").rio.write_crs(target_crs)
    result = result.rio.write_transform(target_transform).transpose(*order)
    return keep_metadata(result, cube)
