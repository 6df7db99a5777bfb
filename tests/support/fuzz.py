"""Fuzzing a real server: the settings of a bounded or a deep run, the check of every answer, and
hypothesis strategies for random, roughly well-formed process graphs.

``make test`` runs a few deterministic cases of each fuzz test; ``make fuzz`` sets
``OPENEO_GIP_FUZZ_EXAMPLES`` to run many random ones. A failing case names the request and the last
traceback of the server's log.
"""

from __future__ import annotations

import os
import string
from typing import Any, NamedTuple

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.support.server_process import ServerProcess

EXAMPLES_ENV = "OPENEO_GIP_FUZZ_EXAMPLES"

# The only answers of 500 and above that the API documents for a request a user can send on purpose:
# a feature the server lacks (a UDF without a sandbox), logins waiting too long for their turn, and the
# API's own 500 for an estimate that cannot be given (a job whose result is no cube, tests/jobs).
ALLOWED_SERVER_ERRORS = {
    (501, "FeatureUnsupported"): "",
    (503, "InfrastructureBusy"): "",
    (500, "EstimateComplexity"): "/estimate",
}


def fuzz_settings(bounded: int) -> settings:
    """``bounded`` cases, always the same ones (CI is reproducible), unless ``OPENEO_GIP_FUZZ_EXAMPLES``
    asks for a deep run of that many random cases."""
    deep = os.environ.get(EXAMPLES_ENV)
    return settings(
        max_examples=int(deep) if deep else bounded,
        derandomize=not deep,
        database=None,  # nothing written into the working tree
        deadline=None,  # a request to a server takes what it takes; freezes are caught by timeouts
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def assert_no_server_error(server: ServerProcess, response: Any, what: str) -> None:
    """No 5xx but those documented for overload and missing features, and every error an openEO error.
    ``response`` is one of requests or of schemathesis (which read alike)."""
    status = response.status_code

    def context() -> str:
        return f"{what}\n-> {status} {response.content[:500]!r}\n{last_traceback(server)}"

    if status < 400 or response.request.method == "HEAD":
        assert status < 500, context()
        return
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"the error is not JSON: {context()}") from None
    assert isinstance(body, dict) and {"id", "code", "message"} <= body.keys(), context()
    if status >= 500:
        path_end = ALLOWED_SERVER_ERRORS.get((status, body["code"]))
        assert path_end is not None and response.request.url.endswith(path_end), context()


def last_traceback(server: ServerProcess) -> str:
    """The last traceback in the server's log (where an internal error was logged), or nothing."""
    log = server.log_text()
    start = log.rfind("Traceback (most recent call last)")
    return "" if start < 0 else "server log:\n" + log[max(0, start - 300) : start + 4000]


# -- process graphs ------------------------------------------------------------------------------------

NODE_IDS = ["a", "b", "c", "d", "e"]
FRIENDLY_STRINGS = [
    "x",
    "y",
    "t",
    "bands",
    "GTiff",
    "netCDF",
    "JSON",
    "PNG",
    "Zarr",
    "EPSG:4326",
    "mean",
    "near",
    "bilinear",
    "2020-01-01",
    "2020-01-01T00:00:00Z",
    "2021-12-31T23:59:59Z",
    "P1D",
    "days",
    "",
]
BANDS = ["B02", "B03", "B04", "B08", "SCL", "elevation"]
EDGE_NUMBERS = [0, -1, 1, 2, 0.5, -0.0, 255, 2**31, 2**63, -(2**63), 10**12, 10**300, 1e308, 1e-300]


class Catalogue(NamedTuple):
    """What graphs are made of: the server's processes (id -> parameters), its collections (id -> the
    bounding box and time interval of their extent), and words it knows (those ids, dimension names,
    formats, dates)."""

    processes: dict[str, list[dict]]
    collections: dict[str, tuple[list[float], list[str | None]]]

    @property
    def words(self) -> list[str]:
        return list(self.collections) + BANDS + FRIENDLY_STRINGS


def scalars(words: list[str]) -> st.SearchStrategy[Any]:
    """Leaves: null, booleans, numbers (big, tiny, NaN, infinite: Python's JSON writes them), texts, and
    texts the server knows (collection and dimension names, formats, dates)."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(EDGE_NUMBERS),
        st.floats(),
        st.text(max_size=12),
        st.sampled_from(words),
    )


def json_values(words: list[str]) -> st.SearchStrategy[Any]:
    keys = st.one_of(st.sampled_from(["west", "south", "east", "north", "crs", "type", "value"]), st.text())
    return st.recursive(
        scalars(words),
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=12,
    )


@st.composite
def deep_arrays(draw) -> Any:
    """An array nested a few levels, or near and beyond the limits on nesting of graphs and of JSON."""
    value: Any = draw(st.sampled_from([1, "a", None, [1, 2]]))
    for _ in range(draw(st.sampled_from([1, 2, 3, 4, 5, 8, 10, 20, 30, 50, 90, 101, 300, 600]))):
        value = [value]
    return value


@st.composite
def bounding_boxes(draw, words: list[str]) -> dict:
    numbers = st.one_of(st.floats(-200, 200), st.sampled_from([float("nan"), float("inf"), 10**300]))
    box = {side: draw(numbers) for side in ("west", "south", "east", "north")}
    if draw(st.booleans()):
        box["crs"] = draw(st.one_of(st.sampled_from([4326, 3857, 32633, "EPSG:4326", -1]), scalars(words)))
    return box


def _schemas(schema: Any) -> list[dict]:
    return [s for s in (schema if isinstance(schema, list) else [schema]) if isinstance(s, dict)]


def _subtypes(schema: Any) -> set[str]:
    return {s.get("subtype") for s in _schemas(schema)} - {None}


@st.composite
def process_graphs(draw, catalogue: Catalogue, parameters: tuple[str, ...] = (), depth: int = 0) -> dict:
    """A graph of 1 to 5 nodes of the server's processes.

    Each argument is a random JSON value, a deep array, a bounding box, a collection id, a reference to
    an earlier node or to a parameter (of the callback it is in, or unknown), or a callback graph of its
    own (up to three levels). Mostly one node is the result; sometimes none or all, and sometimes an
    argument is unknown to the process."""
    count = draw(st.integers(1, 5 if depth == 0 else 3))
    nodes: dict[str, dict] = {}
    if depth == 0 and catalogue.collections and draw(st.integers(0, 2)) > 0:
        nodes[NODE_IDS[0]] = draw(data_loads(catalogue))
    for index in range(len(nodes), count):
        process_id = draw(st.sampled_from(sorted(catalogue.processes)))
        arguments: dict[str, Any] = {}
        for parameter in catalogue.processes[process_id]:
            if parameter.get("optional") and draw(st.integers(0, 2)) > 0:
                continue
            strategy = _arguments(catalogue, parameter.get("schema"), list(nodes), parameters, depth)
            arguments[parameter["name"]] = draw(strategy)
        if draw(st.integers(0, 29)) == 0:
            name = draw(st.text(string.ascii_lowercase, min_size=1, max_size=8))
            arguments[name] = draw(json_values(catalogue.words))
        nodes[NODE_IDS[index]] = {"process_id": process_id, "arguments": arguments}
    for node_id in draw(st.sampled_from([[NODE_IDS[count - 1]]] * 18 + [[], NODE_IDS[:count]])):
        nodes[node_id]["result"] = True
    return nodes


@st.composite
def data_loads(draw, catalogue: Catalogue) -> dict:
    """A ``load_collection`` node of a real collection (the tiny demo data), mostly of the whole of it or
    a part of its extent, so that the nodes after it have a cube to work on."""
    collection = draw(st.sampled_from(sorted(catalogue.collections)))
    (west, south, east, north), (start, end) = catalogue.collections[collection]
    fractions = st.lists(st.floats(0, 1), min_size=2, max_size=2, unique=True).map(sorted)
    (left, right), (bottom, top) = draw(fractions), draw(fractions)
    part = {
        "west": west + left * (east - west),
        "east": west + right * (east - west),
        "south": south + bottom * (north - south),
        "north": south + top * (north - south),
    }
    interval = [start, end] if start or end else None
    dates = st.sampled_from([None, start, end, "2020-01-01", "2030-01-01", "x"])
    rare = draw(st.integers(0, 4)) == 0  # mostly a valid extent, sometimes a hostile one
    arguments: dict[str, Any] = {
        "id": collection,
        "spatial_extent": draw(bounding_boxes(catalogue.words) if rare else st.sampled_from([None, part])),
        "temporal_extent": draw(st.lists(dates, max_size=3) if rare else st.sampled_from([None, interval])),
    }
    if draw(st.booleans()):
        arguments["bands"] = draw(st.lists(st.sampled_from(BANDS), min_size=1, max_size=3))
    return {"process_id": "load_collection", "arguments": arguments}


def schema_values(schema: Any, words: list[str], level: int = 0) -> st.SearchStrategy[Any]:
    """Values of the type a parameter's schema names (one of its alternatives), within its enum and
    bounds or at their edges, so that more graphs get past validation into the processes."""
    choices = []
    for alternative in _schemas(schema):
        kind = alternative.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "enum" in alternative:
            choices.append(st.sampled_from(alternative["enum"]))
        elif alternative.get("subtype") == "bounding-box":
            choices.append(bounding_boxes(words))
        elif "integer" in kinds or "number" in kinds:
            edges = [alternative.get(k) for k in ("minimum", "maximum", "exclusiveMinimum")]
            edges = [e for e in edges if isinstance(e, int | float)]
            numbers = st.integers(-3, 300) if "integer" in kinds else st.floats(-1e3, 1e3)
            choices.append(numbers | st.sampled_from(edges + [0, 1, -1]))
        elif "string" in kinds:
            choices.append(st.sampled_from(words))
        elif "boolean" in kinds:
            choices.append(st.booleans())
        elif "array" in kinds and level < 2:
            items = schema_values(alternative.get("items", {}), words, level + 1)
            choices.append(st.lists(items, max_size=4))
        elif "null" in kinds:
            choices.append(st.none())
    return st.one_of(choices) if choices else json_values(words)


def _arguments(
    catalogue: Catalogue, schema: Any, earlier: list[str], parameters: tuple[str, ...], depth: int
) -> st.SearchStrategy[Any]:
    words = catalogue.words
    choices = [json_values(words)] * 2 + [schema_values(schema, words)] * 6
    choices += [deep_arrays(), bounding_boxes(words)]
    subtypes = _subtypes(schema)
    if earlier:
        choices += [st.sampled_from(earlier).map(lambda node: {"from_node": node})] * 3
    if "collection-id" in subtypes and catalogue.collections:
        choices += [st.sampled_from(sorted(catalogue.collections))] * 3
    names = list(parameters) or ["x", "data"]
    choices.append(st.sampled_from([*names, "unknown"]).map(lambda name: {"from_parameter": name}))
    if depth < 3 and "process-graph" in subtypes:
        inner = tuple(p["name"] for s in _schemas(schema) for p in s.get("parameters") or []) or ("x",)
        child = process_graphs(catalogue, inner, depth + 1).map(lambda graph: {"process_graph": graph})
        choices += [child] * 4
    return st.one_of(choices)


def catalogue(server: ServerProcess) -> Catalogue:
    headers = server.token("alice")
    listed = requests.get(f"{server.url}/processes", headers=headers, timeout=60).json()["processes"]
    collections = requests.get(f"{server.url}/collections", headers=headers, timeout=60).json()
    extents = {
        c["id"]: (c["extent"]["spatial"]["bbox"][0], c["extent"]["temporal"]["interval"][0])
        for c in collections["collections"]
    }
    return Catalogue({p["id"]: p.get("parameters", []) for p in listed}, extents)
