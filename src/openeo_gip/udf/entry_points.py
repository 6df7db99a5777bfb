"""How a UDF process calls the user's code: by the function names and annotations of the openEO UDF API.

Runs in the child only (``udf/child.py``), after the user's code was loaded into a namespace:

- ``apply_datacube(cube, context)`` (also ``apply_hypercube``, ``apply_data_cube``): ``cube`` is an
  ``openeo.udf.XarrayDataCube`` when the parameter is annotated so, else an ``xarray.DataArray``;
- ``apply_timeseries(series, context)``: once per pixel (and band), a ``pandas.Series`` along ``t``;
- a function of the user's code whose one parameter is annotated ``UdfData`` (``apply_udf_data``): it
  receives the cube in a ``UdfData`` and changes that in place (or returns a new one);
- ``apply_metadata(metadata, context)`` next to one of those: the input's dimensions and labels as
  ``openeo.metadata.CollectionMetadata``; the band labels and dimension names it returns relabel the result.

Our own reading of the API (``openeo.udf.run_code`` needs both annotations where this accepts none, and
would hide the user's file name in tracebacks); the classes are the openEO client's own.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from openeo.metadata import CollectionMetadata, CubeMetadata
from openeo.udf import UdfData, XarrayDataCube

UDF_FILE = "udf.py"
DATACUBE_FUNCTIONS = ("apply_datacube", "apply_hypercube", "apply_data_cube")
# The order in which openEO back-ends hand cubes to UDFs; other dimensions go between bands and y.
LEADING, TRAILING = ("t", "bands"), ("y", "x")


class UdfProblem(Exception):
    """A problem of the user's code that is not an exception it raised (no entry point, bad result...)."""


def user_globals() -> dict[str, Any]:
    """Names UDFs of other openEO back-ends may use without importing them (the client's documented
    examples rely on ``xarray`` and ``DataCube``)."""
    return {
        "__name__": "udf",
        "math": math,
        "numpy": np,
        "np": np,
        "pandas": pd,
        "pd": pd,
        "xarray": xr,
        "XarrayDataCube": XarrayDataCube,
        "DataCube": XarrayDataCube,  # the API's older name
        "UdfData": UdfData,
    }


def call_user_code(namespace: dict[str, Any], cube: xr.DataArray, context: Any) -> xr.DataArray:
    """The result of the entry point the user's code defines, relabelled by its ``apply_metadata``."""
    cube = _in_openeo_order(cube)
    datacube = next((namespace[n] for n in DATACUBE_FUNCTIONS if callable(namespace.get(n))), None)
    on_udf_data = _udf_data_function(namespace)
    if datacube is not None:
        result = _call_datacube(datacube, cube, context)
    elif callable(namespace.get("apply_timeseries")):
        result = _per_time_series(namespace["apply_timeseries"], cube, context)
    elif on_udf_data is not None:
        result = _call_on_udf_data(on_udf_data, cube, context)
    else:
        raise UdfProblem(
            "the code defines no function apply_datacube(cube, context), apply_timeseries(series, context) "
            "or apply_udf_data(data: UdfData)"
        )
    if callable(namespace.get("apply_metadata")):
        result = _relabel(namespace["apply_metadata"], cube, result, context)
    return result


def _in_openeo_order(cube: xr.DataArray) -> xr.DataArray:
    first = [d for d in LEADING if d in cube.dims]
    last = [d for d in TRAILING if d in cube.dims]
    return cube.transpose(*first, *[d for d in cube.dims if d not in (*first, *last)], *last)


def _annotated_as(annotation: Any, kind: type, *other_names: str) -> bool:
    """Whether an annotation names ``kind``, as a class or as text (what ``from __future__ import
    annotations`` makes of it)."""
    if annotation is kind:
        return True
    names = {kind.__name__, f"{kind.__module__}.{kind.__name__}", *other_names}
    return isinstance(annotation, str) and annotation in names


def _is_xarray_datacube(annotation: Any) -> bool:
    return _annotated_as(annotation, XarrayDataCube, "openeo.udf.XarrayDataCube", "DataCube")


def _parameters(function: Callable) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []


def _udf_data_function(namespace: dict[str, Any]) -> Callable | None:
    """The user's function taking one parameter annotated ``UdfData`` (any name, as the API allows)."""
    for value in namespace.values():
        code = getattr(value, "__code__", None)
        if code is None or code.co_filename != UDF_FILE:
            continue  # not defined by the user's code (e.g. an imported helper)
        parameters = _parameters(value)
        if len(parameters) == 1 and _annotated_as(parameters[0].annotation, UdfData, "openeo.udf.UdfData"):
            return value
    return None


def _with_context(function: Callable) -> Callable[[Any, Any], Any]:
    """``function`` called as ``(argument, context)``, without the context when it takes none (asked once:
    ``apply_timeseries`` is called once per pixel)."""
    if len(_parameters(function)) == 1:
        return lambda argument, context: function(argument)
    return function


def _call_datacube(function: Callable, cube: xr.DataArray, context: Any) -> xr.DataArray:
    parameters = _parameters(function)
    wrapped = parameters and _is_xarray_datacube(parameters[0].annotation)
    result = _with_context(function)(XarrayDataCube(cube) if wrapped else cube, context)
    return _as_array(result, cube, function.__name__)


def _as_array(result: Any, cube: xr.DataArray, name: str) -> xr.DataArray:
    if isinstance(result, XarrayDataCube):
        result = result.get_array()
    if isinstance(result, np.ndarray) and result.shape == cube.shape:
        result = cube.copy(data=result)
    if not isinstance(result, xr.DataArray):
        raise UdfProblem(
            f"{name} returned {type(result).__name__}; an xarray.DataArray or XarrayDataCube is expected"
        )
    return result


def _call_on_udf_data(function: Callable, cube: xr.DataArray, context: Any) -> xr.DataArray:
    data = UdfData(datacube_list=[XarrayDataCube(cube)], user_context=context)
    returned = function(data)
    if isinstance(returned, UdfData):
        data = returned
    cubes = data.get_datacube_list() or []
    if len(cubes) != 1:
        raise UdfProblem(
            f"{function.__name__} must leave one cube in data.datacube_list; it left {len(cubes)}"
        )
    return _as_array(cubes[0], cube, function.__name__)


def _per_time_series(function: Callable, cube: xr.DataArray, context: Any) -> xr.DataArray:
    """``apply_timeseries(series, context)`` once per pixel (and band): a pandas Series indexed by date."""
    if "t" not in cube.dims:
        raise UdfProblem("apply_timeseries needs a cube with a dimension 't'")
    others = [dim for dim in cube.dims if dim != "t"]
    values = cube.transpose("t", *others).values.reshape(cube.sizes["t"], -1)
    index = pd.DatetimeIndex(cube["t"].values, name="t") if "t" in cube.coords else None
    out = np.empty(values.shape, dtype=np.float64)
    call = _with_context(function)
    for column in range(values.shape[1]):
        series = call(pd.Series(values[:, column], index=index), context)
        result = np.asarray(series, dtype=np.float64)
        if result.shape != (values.shape[0],):
            raise UdfProblem("apply_timeseries must return a series as long as the one it received")
        out[:, column] = result
    shaped = out.reshape([cube.sizes["t"], *(cube.sizes[dim] for dim in others)])
    return cube.transpose("t", *others).copy(data=shaped).transpose(*cube.dims)


def metadata_of(cube: xr.DataArray) -> CollectionMetadata:
    """The cube's dimensions and labels as the openEO client describes a collection (``cube:dimensions``)."""
    dimensions: dict[str, dict] = {}
    for dim in cube.dims:
        labels = cube[dim].values if dim in cube.coords else None
        if dim == "bands":
            names = [] if labels is None else [str(label) for label in labels]
            dimensions[dim] = {"type": "bands", "values": names}
        elif dim == "t" and labels is not None and len(labels):
            stamps = pd.DatetimeIndex(labels)
            dimensions[dim] = {
                "type": "temporal",
                "extent": [stamps.min().isoformat(), stamps.max().isoformat()],
            }
        elif dim in TRAILING and labels is not None and len(labels):
            spatial = {"type": "spatial", "axis": dim, "extent": [float(labels.min()), float(labels.max())]}
            if len(labels) > 1:
                spatial["step"] = float(abs(labels[1] - labels[0]))
            if isinstance(cube.attrs.get("crs"), str):
                spatial["reference_system"] = cube.attrs["crs"]
            dimensions[dim] = spatial
        else:
            dimensions[dim] = {"type": "temporal" if dim == "t" else "other"}
    return CollectionMetadata({"cube:dimensions": dimensions})


def _relabel(function: Callable, cube: xr.DataArray, result: xr.DataArray, context: Any) -> xr.DataArray:
    """The result with the dimension names and band labels ``apply_metadata`` gives."""
    before = metadata_of(cube)
    after = _with_context(function)(before, context)
    if not isinstance(after, CubeMetadata) or after.dimension_names() is None:
        raise UdfProblem("apply_metadata must return the metadata it received, changed (e.g. rename_labels)")
    names, old_names = after.dimension_names(), before.dimension_names()
    if len(names) == len(old_names):  # rename_dimension keeps the place of a dimension
        renames = {old: new for old, new in zip(old_names, names, strict=True) if old != new}
        result = result.rename({old: new for old, new in renames.items() if old in result.dims})
    if set(names) != {str(dim) for dim in result.dims}:
        raise UdfProblem(
            f"apply_metadata describes the dimensions {names}, but the code returned {list(result.dims)}"
        )
    if after.has_band_dimension():
        bands, labels = after.band_dimension.name, after.band_names
        if len(labels) != result.sizes[bands]:
            raise UdfProblem(
                f"apply_metadata names {len(labels)} labels of '{bands}', the result {result.sizes[bands]}"
            )
        result = result.assign_coords({bands: labels})
    return result
