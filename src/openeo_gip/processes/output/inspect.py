"""``inspect``: log a value while passing it on (for debugging process graphs).

In a batch job the entry lands in the job's log (``GET /jobs/{id}/logs``) through ``ctx.log``; for a
synchronous request in the server log, tagged with the request. Data cubes are described by their shape
and labels, never computed.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr

from openeo_gip.model.labels import label_to_json
from openeo_gip.model.values import ArrayView, ProcessContext
from openeo_gip.processes.arraylike import to_python
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process

_LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
# Dimensions with at most this many labels have them listed; arrays up to this size are shown whole.
SMALL = 20
# Longest text kept of a plain value in a log entry.
MAX_TEXT = 2000


@process()
def inspect(
    data: Any, message: str = "", code: str = "User", level: str = "info", *, ctx: ProcessContext
) -> Any:
    if level not in _LEVELS:
        raise invalid("inspect", "level", f"use one of {', '.join(_LEVELS)}")
    summary = summarise(data)
    kind = summary.get("type", "value") if isinstance(summary, dict) else "value"
    text = message or f"inspect: {kind}"
    ctx.log.log(_LEVELS[level], text, extra={"code": code, "data": summary})
    return data


def summarise(value: Any) -> Any:
    """A JSON-ready description of ``value``: the value itself when small, else its structure."""
    if isinstance(value, ArrayView):
        summary = {"type": "array", "dimension": value.dim, **_cube(value.data)}
        # values only when already in memory: computing a lazy array would run its whole graph twice
        if value.data.ndim == 1 and value.data.size <= SMALL and not _is_lazy(value.data):
            summary["values"] = _json(np.asarray(value.data.values).tolist())
        return summary
    if isinstance(value, xr.DataArray):
        if value.ndim == 0 and not _is_lazy(value):
            return _json(to_python(value.values))
        return {"type": "datacube", **_cube(value)}
    if isinstance(value, np.ndarray):
        if value.size <= SMALL:
            return _json(value.tolist())
        return {"type": "array", "shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, list | tuple) and len(value) > SMALL:
        return {"type": "array", "length": len(value), "first": _json(list(value[:SMALL]))}
    return _json(value)


def _cube(cube: xr.DataArray) -> dict:
    dims = [str(dim) for dim in cube.dims]
    summary: dict[str, Any] = {
        "dimensions": dims,
        "shape": [int(size) for size in cube.shape],
        "dtype": str(cube.dtype),
    }
    labels = {dim: _labels(cube, dim) for dim in dims if dim in cube.coords and cube.sizes[dim] <= SMALL}
    if labels:
        summary["labels"] = labels
    if "crs" in cube.attrs:
        summary["crs"] = str(cube.attrs["crs"])
    elif cube.rio.crs is not None:
        summary["crs"] = cube.rio.crs.to_string()
    return summary


def _labels(cube: xr.DataArray, dim: str) -> list:
    return [_json(label_to_json(v)) if not hasattr(v, "geom_type") else v.geom_type for v in cube[dim].values]


def _is_lazy(cube: xr.DataArray) -> bool:
    return not isinstance(cube.variable._data, np.ndarray)


def _json(value: Any) -> Any:
    """``value`` with what JSON cannot hold replaced: NaN and infinities as text, other objects as text."""
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    value = to_python(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."
