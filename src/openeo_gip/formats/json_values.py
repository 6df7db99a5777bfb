"""The one JSON rendering of values: results in JSON, and the properties the GeoJSON writer stores."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from openeo_gip.formats.raster_layout import compute
from openeo_gip.model.dates import rfc3339
from openeo_gip.model.values import ArrayView


def to_json_value(value: Any, client: Any = None) -> Any:
    """Any process result as a JSON-compatible value: NaN becomes null, dates ISO 8601 strings, a cube
    ``{"type": "datacube", "dimensions": [...], "labels": {dim: [...]}, "data": [...], "crs": ...}``."""
    if isinstance(value, ArrayView):
        value = value.data if value.data.ndim == 1 else value.data.transpose(value.dim, ...)
        if value.ndim == 1:
            return _plain(compute(value, client).values.tolist())
    if isinstance(value, xr.DataArray) and value.ndim == 0:  # a cube reduced to one value
        return _plain(compute(value, client).values.item())
    if isinstance(value, xr.DataArray):
        cube = compute(value, client)
        crs = cube.rio.crs if "x" in cube.dims and "y" in cube.dims else None
        return {
            "type": "datacube",
            "dimensions": [str(dim) for dim in cube.dims],
            "labels": {str(dim): _plain(_labels(cube, str(dim))) for dim in cube.dims},
            "data": _plain(cube.values.tolist()),
            "crs": crs.to_wkt() if crs is not None else None,
        }
    if isinstance(value, np.ndarray | np.generic):
        return _plain(value.tolist())
    return _plain(value)


def _labels(cube: xr.DataArray, dim: str) -> list:
    if dim not in cube.coords:
        return list(range(cube.sizes[dim]))
    return list(cube[dim].values)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.datetime64 | pd.Timestamp):
        return rfc3339(value)
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
