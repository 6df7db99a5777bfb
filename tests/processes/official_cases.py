"""Reading the official process test cases (JSON5) and comparing results with their expectations.

Encodings of the test suite: ``{"type": "nodata"}`` is null, labeled arrays become ``ArrayView``s with their
labels, data cubes become (dask-backed) DataArrays, ``{"$ref": "assets/..."}`` loads a file of the suite.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import json5
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr

from openeo_gip.model.values import ArrayView
from openeo_gip.processes.arrays.elements import labeled
from openeo_gip.processes.specs import get_spec


@dataclass
class Case:
    process_id: str
    index: int
    test: dict
    folder: Path

    @property
    def key(self) -> str:
        return f"{self.process_id}#{self.index}"


def load_cases(folder: Path, process_ids: set[str]) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.json5")):
        document = json5.loads(path.read_text(encoding="utf-8"))
        if document["id"] in process_ids:
            cases += [Case(document["id"], i, test, folder) for i, test in enumerate(document["tests"])]
    return cases


def decode(value: Any, folder: Path) -> Any:
    """A test-suite value as an engine value."""
    if isinstance(value, list):
        return [decode(item, folder) for item in value]
    if not isinstance(value, dict):
        return value
    if "$ref" in value and len(value) == 1:
        text = (folder / value["$ref"]).read_text(encoding="utf-8")
        # JSON5 assets are values of the suite; others (e.g. a WKT2 CRS) are text
        return decode(json5.loads(text), folder) if value["$ref"].endswith((".json", ".json5")) else text
    kind = value.get("type")
    if kind == "nodata":
        return None
    if kind == "datetime":
        return value["value"]
    if kind == "labeled-array":
        items = value["data"]
        return labeled([decode(item["value"], folder) for item in items], [item["key"] for item in items])
    if kind == "datacube":
        return cube_from_json(value)
    return {key: decode(item, folder) for key, item in value.items()}


def cube_from_json(value: dict) -> xr.DataArray:
    coords = {}
    dimensions = value["dimensions"]
    if isinstance(dimensions, list):  # one case lists the dimensions, each with its "name"
        dimensions = {dimension["name"]: dimension for dimension in dimensions}
    # Two cases misspell or omit "order"; then the dimensions are listed in order.
    order = value.get("order") or value.get("order: ") or list(dimensions)
    for name in order:
        dimension = dimensions[name]
        labels = dimension.get("values", [])
        if dimension.get("type") == "temporal" and labels and all(map(_is_timestamp, labels)):
            labels = pd.to_datetime(labels, format="ISO8601").tz_localize(None)
        coords[name] = labels
    if not order:  # a cube without dimensions holds no values
        return xr.DataArray(np.nan, attrs={"values_irrelevant": True})
    if value.get("data") is None:  # the values do not matter for this case
        data = np.full([len(labels) for labels in coords.values()], np.nan)
    else:
        data = np.array(_nodata_as_nan(value["data"]), dtype=float)
        if data.size == 0:  # "data": [] for a cube with an empty dimension
            data = data.reshape([len(labels) for labels in coords.values()])
        nodata = value.get("nodata")
        if isinstance(nodata, int | float) and not isinstance(nodata, bool):  # the engine's no-data is NaN
            data[data == nodata] = np.nan
    cube = xr.DataArray(data, dims=order, coords=coords)
    if value.get("data") is None:
        cube.attrs["values_irrelevant"] = True
    crs = next((d["reference_system"] for d in dimensions.values() if "reference_system" in d), None)
    if isinstance(crs, int | str):
        cube = cube.rio.write_crs(f"EPSG:{crs}" if isinstance(crs, int) else crs)
    return cube.chunk()


def _is_timestamp(label: Any) -> bool:
    """Dates and date-times; period labels such as "2024-03" (a month or dekad) or "2022-49" stay text."""
    return isinstance(label, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", label) is not None


def _nodata_as_nan(value: Any) -> Any:
    if isinstance(value, list):
        return [_nodata_as_nan(item) for item in value]
    return np.nan if value is None or isinstance(value, dict) else value


def graph_arguments(case: Case) -> tuple[dict, dict]:
    """The node arguments (JSON) and the parameters that carry what JSON cannot (arrays, cubes)."""
    spec = get_spec(case.process_id) or {"parameters": []}
    callbacks = {
        p["name"]
        for p in spec["parameters"]
        for option in (p["schema"] if isinstance(p["schema"], list) else [p["schema"]])
        if option.get("subtype") == "process-graph"
    }
    arguments, parameters = {}, {}
    for name, raw in case.test["arguments"].items():
        if name in callbacks and isinstance(raw, dict):
            graph = raw.get("process_graph", raw)
            arguments[name] = {"process_graph": _modern_references(graph)}
            continue
        value = decode(raw, case.folder)
        if _json_expressible(value):
            arguments[name] = value
        else:
            parameters[f"arg_{name}"] = value
            arguments[name] = {"from_parameter": f"arg_{name}"}
    return arguments, parameters


def _modern_references(value: Any) -> Any:
    """Some cases still use the pre-1.0 spelling ``from_argument``; API 1.x calls it ``from_parameter``."""
    if isinstance(value, list):
        return [_modern_references(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"from_argument"}:
            return {"from_parameter": value["from_argument"]}
        return {key: _modern_references(item) for key, item in value.items()}
    return value


def _json_expressible(value: Any) -> bool:
    if isinstance(value, list):
        return all(_json_expressible(item) for item in value)
    if isinstance(value, dict):
        return all(_json_expressible(item) for item in value.values())
    return not isinstance(value, ArrayView | xr.DataArray)


def same(actual: Any, expected: Any, delta: float) -> bool:
    """Whether an engine result equals a decoded expectation (numbers within ``delta``, NaN equal NaN)."""
    if isinstance(expected, xr.DataArray):
        return _same_cube(actual, expected, delta)
    if isinstance(actual, xr.DataArray) and actual.ndim == 0:
        actual = actual.values.item()
    if isinstance(expected, ArrayView):
        return (
            isinstance(actual, ArrayView)
            and same(_labels(actual), _labels(expected), 0)
            and same(_values(actual), _values(expected), delta)
        )
    if isinstance(actual, ArrayView):
        actual = _values(actual)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e, delta) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(same(actual[k], expected[k], delta) for k in expected)
        )
    if isinstance(actual, np.generic):
        actual = actual.item()
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        if math.isinf(expected) or math.isinf(actual):
            return expected == actual
        return abs(actual - expected) <= delta
    return actual == expected


def _labels(view: ArrayView) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in view.data[view.dim].values.tolist()]


def _values(view: ArrayView) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in np.asarray(view.data.values).tolist()]


def _label_text(label: Any) -> str:
    """Labels as text; times at any precision (datetime64[us] or [ns]) as the same ISO text."""
    if isinstance(label, np.datetime64):
        return pd.Timestamp(label).isoformat()
    return str(label)


def _same_cube(actual: Any, expected: xr.DataArray, delta: float) -> bool:
    if isinstance(actual, ArrayView):
        actual = actual.data
    if not isinstance(actual, xr.DataArray):
        return False
    if set(actual.dims) != set(expected.dims):
        return False
    actual = actual.transpose(*expected.dims)
    for dim in expected.dims:
        want = list(expected[dim].values)
        have = list(actual[dim].values) if dim in actual.coords else want
        if [_label_text(v) for v in have] != [_label_text(v) for v in want]:
            return False
    if expected.attrs.get("values_irrelevant"):
        return True
    have, want = np.asarray(actual.values, dtype=float), np.asarray(expected.values, dtype=float)
    return have.shape == want.shape and bool(np.allclose(have, want, atol=delta, rtol=0, equal_nan=True))
