"""The format a DataArray travels in between the server and a UDF process: a ``.npy`` file of plain numbers
(loaded without pickle) and a JSON header with dimensions, labels and simple attributes.

The server reads what a child wrote with ``decode``, which checks every field: the child ran user code and
may have written anything.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

# Value kinds a UDF may receive and return: booleans, integers, unsigned integers and floats.
NUMERIC_KINDS = "biuf"
MAX_DIMS = 16


class WireError(ValueError):
    """What a child sent back is not a valid cube; the message says what is wrong, in user terms."""


def _json_number(value: Any) -> Any:
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _labels(values: np.ndarray) -> dict | None:
    """A dimension's labels as JSON, or ``None`` when they are not plain (e.g. geometries)."""
    if np.issubdtype(values.dtype, np.datetime64):
        stamps = pd.DatetimeIndex(values)
        return {"type": "datetime", "values": [None if pd.isna(t) else t.isoformat() for t in stamps]}
    if values.dtype.kind in NUMERIC_KINDS:
        return {"type": "number", "values": [_json_number(v) for v in values]}
    if values.dtype.kind in "US" or all(isinstance(v, str) for v in values):
        return {"type": "string", "values": [str(v) for v in values]}
    return None


def encode(cube: xr.DataArray) -> tuple[dict, np.ndarray]:
    """The header and the values of ``cube`` (only labels of dimensions and simple attributes travel)."""
    values = np.asarray(cube.values)
    if values.dtype.kind not in NUMERIC_KINDS:
        raise WireError(f"the cube holds {values.dtype} values; only numbers and booleans can be sent")
    coords = {}
    for dim in cube.dims:
        if dim in cube.coords:
            labels = _labels(np.asarray(cube[dim].values))
            if labels is not None:
                coords[str(dim)] = labels
    attrs = {
        str(key): value
        for key, value in cube.attrs.items()
        if isinstance(value, str | bool | int) or (isinstance(value, float) and math.isfinite(value))
    }
    header = {"dims": [str(dim) for dim in cube.dims], "shape": list(values.shape), "coords": coords}
    header["attrs"] = attrs
    header["name"] = cube.name if isinstance(cube.name, str) else None
    return header, values


def _parse_labels(entry: Any, size: int, dim: str) -> np.ndarray:
    if not isinstance(entry, dict) or not isinstance(entry.get("values"), list):
        raise WireError(f"the labels of dimension '{dim}' are malformed")
    values = entry["values"]
    if len(values) != size:
        raise WireError(f"dimension '{dim}' has {size} values but {len(values)} labels")
    kind = entry.get("type")
    if kind == "datetime":
        if not all(v is None or isinstance(v, str) for v in values):
            raise WireError(f"the time labels of dimension '{dim}' are malformed")
        try:
            stamps = pd.to_datetime(values, utc=True)
        except (ValueError, TypeError) as exc:
            raise WireError(f"the time labels of dimension '{dim}' are not dates") from exc
        return np.asarray(stamps.tz_localize(None), dtype="datetime64[ns]")
    if kind == "number":
        if not all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
            raise WireError(f"the labels of dimension '{dim}' are not numbers")
        return np.array([np.nan if v is None else v for v in values])
    if kind == "string":
        if not all(isinstance(v, str) for v in values):
            raise WireError(f"the labels of dimension '{dim}' are not strings")
        return np.array(values, dtype=object)
    raise WireError(f"the labels of dimension '{dim}' have an unknown type")


def decode(header: Any, values: np.ndarray) -> xr.DataArray:
    """The cube a child described, after checking that header and values agree."""
    if not isinstance(header, dict):
        raise WireError("the result header is not an object")
    dims, shape = header.get("dims"), header.get("shape")
    if not isinstance(dims, list) or not all(isinstance(d, str) and 0 < len(d) <= 100 for d in dims):
        raise WireError("the result must name its dimensions with strings")
    if len(set(dims)) != len(dims) or len(dims) > MAX_DIMS:
        raise WireError("the result has repeated dimensions or too many of them")
    if values.dtype.kind not in NUMERIC_KINDS:
        raise WireError(f"the result holds {values.dtype} values; numbers or booleans are expected")
    if shape != list(values.shape) or values.ndim != len(dims):
        raise WireError("the result's dimensions do not match its values")
    coords_in = header.get("coords") or {}
    if not isinstance(coords_in, dict) or not set(coords_in) <= set(dims):
        raise WireError("the result has labels for dimensions it does not have")
    coords = {
        dim: _parse_labels(entry, values.shape[dims.index(dim)], dim) for dim, entry in coords_in.items()
    }
    attrs = header.get("attrs") or {}
    if not isinstance(attrs, dict):
        raise WireError("the result's attributes are not an object")
    attrs = {str(k): v for k, v in attrs.items() if isinstance(v, str | bool | int | float)}
    name = header.get("name") if isinstance(header.get("name"), str) else None
    return xr.DataArray(values, dims=dims, coords=coords, attrs=attrs, name=name)
