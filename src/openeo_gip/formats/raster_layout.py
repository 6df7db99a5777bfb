"""Shared by the raster writers: computing through the cluster, and laying a cube out as (bands, y, x)."""

from __future__ import annotations

from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from rasterio.transform import Affine

from openeo_gip.errors import ApiError


def compute(value: Any, client: Any = None) -> Any:
    """Compute a lazy xarray object, on ``client`` when given (else dask's default scheduler, which is
    the server's cluster once it started)."""
    if client is not None and hasattr(value, "__dask_graph__") and value.__dask_graph__() is not None:
        return client.compute(value).result()
    return value.compute() if hasattr(value, "compute") else value


def unsuitable(message: str) -> ApiError:
    return ApiError("FormatUnsuitable", message, status=400)


def computed_raster(data: Any, client: Any, format_name: str) -> tuple[xr.DataArray, Any]:
    """A raster cube computed for a whole-cube format, and its CRS: only dimension coordinates are kept
    (the formats store one variable) and booleans become 0/1 bytes."""
    if not isinstance(data, xr.DataArray):
        raise unsuitable(f"{format_name} stores raster data cubes only.")
    cube = compute(data, client)
    crs = cube.rio.crs if "x" in cube.dims and "y" in cube.dims else None
    cube = cube.drop_vars([name for name in cube.coords if name not in cube.dims])
    if cube.dtype == bool:
        cube = cube.astype(np.uint8)
    return cube, crs


def time_dimension(cube: xr.DataArray) -> str | None:
    """The temporal dimension of a cube, if any (its labels are datetimes)."""
    for dim in cube.dims:
        if dim in cube.coords and np.issubdtype(cube[dim].dtype, np.datetime64):
            return str(dim)
    return "t" if "t" in cube.dims else None


def as_bands_yx(cube: xr.DataArray, format_name: str) -> xr.DataArray:
    """The cube as (bands, y, x); a cube without bands gets one band. Other dimensions cannot be stored."""
    if "x" not in cube.dims or "y" not in cube.dims:
        raise unsuitable(f"{format_name} needs the spatial dimensions x and y.")
    extra = [str(dim) for dim in cube.dims if dim not in ("bands", "x", "y")]
    if extra:
        raise unsuitable(
            f"{format_name} stores x, y and bands only; reduce or drop {', '.join(extra)} first."
        )
    if "bands" not in cube.dims:
        cube = cube.expand_dims(bands=[getattr(cube, "name", None) or "band_1"])
    return cube.transpose("bands", "y", "x")


def band_names(cube: xr.DataArray) -> list[str]:
    return [str(v) for v in cube["bands"].values] if "bands" in cube.coords else []


def geotransform(cube: xr.DataArray) -> Affine:
    """Affine transform of the grid, from the coordinates (or the stored one for a single pixel)."""
    if cube.sizes["x"] > 1 and cube.sizes["y"] > 1:
        return cube.rio.transform(recalc=True)
    return cube.rio.transform()


def storable(values: np.ndarray) -> tuple[np.ndarray, float | None]:
    """Values in a dtype rasters hold, and the nodata value: NaN for floats, none for integers."""
    if values.dtype == bool:
        return values.astype(np.uint8), None
    if np.issubdtype(values.dtype, np.floating):
        return values.astype(np.float64 if values.dtype == np.float64 else np.float32), float("nan")
    return values, None
