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

# The only answers of 500 and above that the API documents for a request a user can send on purpose.
ALLOWED_SERVER_ERRORS = {501: "FeatureUnsupported", 503: "InfrastructureBusy"}


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
        assert ALLOWED_SERVER_ERRORS.get(status) == body["code"], context()


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
    "B01",
    "B02",
    "B04",
    "B08",
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
EDGE_NUMBERS = [0, -1, 1, 2, 0.5, -0.0, 255, 2**31, 2**63, -(2**63), 10**12, 10**300, 1e308, 1e-300]


class Catalogue(NamedTuple):
    """What graphs are made of: the server's processes (id -> parameters), its collection ids, and
    words it knows (those ids, dimension names, formats, dates)."""

    processes: dict[str, list[dict]]
    collections: list[str]

    @property
    def words(self) -> list[str]:
        return self.collections + FRIENDLY_STRINGS


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
    for _ in range(draw(st.sampled_from([1, 2, 3, 5, 10, 30, 95, 101, 300, 600]))):
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
        if draw(st.integers(0, 9)) == 0:
            name = draw(st.text(string.ascii_lowercase, min_size=1, max_size=8))
            arguments[name] = draw(json_values(catalogue.words))
        nodes[NODE_IDS[index]] = {"process_id": process_id, "arguments": arguments}
    for node_id in draw(st.sampled_from([[NODE_IDS[count - 1]]] * 18 + [[], NODE_IDS[:count]])):
        nodes[node_id]["result"] = True
    return nodes


@st.composite
def data_loads(draw, catalogue: Catalogue) -> dict:
    """A ``load_collection`` node of a real collection (the tiny demo data), often narrowed to a part of
    it, so that the nodes after it have a cube to work on."""
    dates = st.sampled_from([None, "2020-01-01", "2020-06-01T00:00:00Z", "2030-01-01", "x"])
    arguments: dict[str, Any] = {
        "id": draw(st.sampled_from(catalogue.collections)),
        "spatial_extent": draw(st.sampled_from([None, None]) | bounding_boxes(catalogue.words)),
        "temporal_extent": draw(st.sampled_from([None, None]) | st.lists(dates, max_size=3)),
    }
    if draw(st.booleans()):
        arguments["bands"] = draw(st.lists(st.sampled_from(catalogue.words), max_size=3))
    return {"process_id": "load_collection", "arguments": arguments}


def _arguments(
    catalogue: Catalogue, schema: Any, earlier: list[str], parameters: tuple[str, ...], depth: int
) -> st.SearchStrategy[Any]:
    words = catalogue.words
    choices = [json_values(words)] * 4 + [deep_arrays(), bounding_boxes(words)]
    subtypes = _subtypes(schema)
    if earlier:
        choices += [st.sampled_from(earlier).map(lambda node: {"from_node": node})] * 3
    if "collection-id" in subtypes and catalogue.collections:
        choices += [st.sampled_from(catalogue.collections)] * 3
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
    return Catalogue(
        {p["id"]: p.get("parameters", []) for p in listed}, [c["id"] for c in collections["collections"]]
    )
