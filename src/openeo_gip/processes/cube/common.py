"""Small helpers the data-cube process families share (no processes are registered here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from openeo_gip.model.labels import label_to_json
from openeo_gip.processes.errors import invalid, process_error

SPATIAL_DIMS = ("x", "y")


def require_cube(value: Any, process: str, parameter: str = "data") -> xr.DataArray:
    if not isinstance(value, xr.DataArray):
        raise invalid(process, parameter, "a raster data cube is expected")
    return value


def require_dimension(cube: xr.DataArray, dimension: str) -> None:
    if dimension not in cube.dims:
        raise process_error(
            "DimensionNotAvailable",
            f"The data cube has no dimension '{dimension}'; it has {', '.join(map(str, cube.dims))}.",
        )


def is_temporal(cube: xr.DataArray, dimension: str) -> bool:
    return dimension in cube.coords and np.issubdtype(cube[dimension].dtype, np.datetime64)


def temporal_dims(cube: xr.DataArray) -> list[str]:
    return [str(dim) for dim in cube.dims if is_temporal(cube, str(dim))]


def to_timestamp(value: Any) -> pd.Timestamp:
    """An openEO date or date-time as a naive UTC timestamp (how cube ``t`` labels are stored)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def labels_of(cube: xr.DataArray, dimension: str) -> list:
    if dimension in cube.coords:
        return [label_to_json(v) for v in cube[dimension].values]
    return list(range(cube.sizes[dimension]))


def band_position(cube: xr.DataArray, name: str) -> int | None:
    """Index of a band given by its name, or else by its common name (a ``common_name`` coordinate)."""
    names = [str(v) for v in cube["bands"].values]
    if name in names:
        return names.index(name)
    if "common_name" in cube.coords and cube["common_name"].dims == ("bands",):
        common = [str(v) for v in cube["common_name"].values]
        if name in common:
            return common.index(name)
    return None


def keep_metadata(result: Any, template: xr.DataArray) -> Any:
    """Carry the CRS and attributes of ``template`` over to a DataArray computed from it.

    Elementwise xarray operations usually keep the ``spatial_ref`` coordinate, but ``xr.where``,
    ``apply_ufunc`` and user callbacks may drop it; writers need it.
    """
    if not isinstance(result, xr.DataArray):
        return result
    if "spatial_ref" in template.coords and "spatial_ref" not in result.coords:
        result = result.assign_coords(spatial_ref=template.coords["spatial_ref"])
    for key, value in template.attrs.items():
        result.attrs.setdefault(key, value)
    return result


def full_like_without(cube: xr.DataArray, dimension: str | None, value: Any) -> xr.DataArray:
    """A cube shaped like ``cube`` (minus ``dimension``) filled with ``value``; for constant callbacks."""
    shape = cube.isel({dimension: 0}, drop=True) if dimension else cube
    fill = np.nan if value is None else value
    return xr.full_like(shape, fill, dtype=np.result_type(np.asarray(fill).dtype, np.float32))
