"""Parsing of openEO process graphs into nodes whose arguments hold typed references.

A parsed argument is a plain JSON value in which every ``{"from_node": ...}`` became a ``FromNode``, every
``{"from_parameter": ...}`` a ``FromParameter`` and every ``{"process_graph": {...}}`` a ``ChildGraph``,
at any depth inside arrays and objects. Structural problems (no or several result nodes, references to
missing nodes, cycles, nesting deeper than ``MAX_PROCESS_NESTING``) are ``ProcessGraphInvalid`` errors
raised before anything is computed. Integers too large for 64 bits become floating-point numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openeo_gip.errors import ApiError
from openeo_gip.model.limits import MAX_EXACT_INTEGER, MAX_PROCESS_NESTING


@dataclass(frozen=True)
class FromNode:
    node_id: str


@dataclass(frozen=True)
class FromParameter:
    name: str


@dataclass
class Node:
    id: str
    process_id: str
    namespace: str | None
    arguments: dict[str, Any]
    description: str | None = None


@dataclass
class ProcessGraph:
    nodes: dict[str, Node]
    result_id: str
    # Ids of the nodes no other node reads: all of them run (a side-effect node like save_result may be one).
    end_ids: list[str] = field(default_factory=list)

    @property
    def result(self) -> Node:
        return self.nodes[self.result_id]


@dataclass
class ChildGraph:
    """A callback argument: a process graph run by its parent process with its own parameters."""

    graph: ProcessGraph
    # The raw JSON, kept for error messages and for storing.
    source: dict


def invalid(reason: str) -> ApiError:
    return ApiError("ProcessGraphInvalid", reason=reason)


def parse_process(document: Any) -> tuple[ProcessGraph, list[dict]]:
    """A process object (``{"process_graph": ..., "parameters": [...]}``) into its graph and parameters."""
    if not isinstance(document, dict):
        raise ApiError("ProcessInvalid", "The process must be a JSON object.")
    check_nesting(document)
    if "process_graph" not in document:
        raise ApiError("ProcessGraphMissing")
    parameters = document.get("parameters") or []
    if not isinstance(parameters, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in parameters
    ):
        raise ApiError("ProcessInvalid", "'parameters' must be a list of objects with a 'name'.")
    return parse_graph(document["process_graph"]), parameters


def check_nesting(document: Any) -> None:
    """``ProcessGraphInvalid`` when arrays, objects and callbacks nest deeper than ``MAX_PROCESS_NESTING``;
    checked without recursion, before the recursive parsing, validation and evaluation."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        if children and depth >= MAX_PROCESS_NESTING:
            raise invalid(
                f"arrays, objects and callbacks nest more than {MAX_PROCESS_NESTING} levels deep; "
                "flatten the data or split the process"
            )
        pending.extend((child, depth + 1) for child in children)


def parse_graph(nodes: Any) -> ProcessGraph:
    """A ``process_graph`` object (node id -> node) into a checked ``ProcessGraph``."""
    if not isinstance(nodes, dict) or not nodes:
        raise invalid("a process graph must be a non-empty object of nodes")
    parsed: dict[str, Node] = {}
    for node_id, raw in nodes.items():
        if not isinstance(raw, dict):
            raise invalid(f"node '{node_id}' is not an object")
        process_id = raw.get("process_id")
        if not isinstance(process_id, str) or not process_id:
            raise invalid(f"node '{node_id}' has no 'process_id'")
        namespace = raw.get("namespace")
        if namespace is not None and not isinstance(namespace, str):
            raise invalid(f"the namespace of node '{node_id}' must be a string or null")
        arguments = raw.get("arguments", {})
        if not isinstance(arguments, dict):
            raise invalid(f"the arguments of node '{node_id}' must be an object")
        parsed[node_id] = Node(
            id=node_id,
            process_id=process_id,
            namespace=namespace,
            arguments={name: _parse_value(value, node_id) for name, value in arguments.items()},
            description=raw.get("description"),
        )
    results = [node_id for node_id, raw in nodes.items() if raw.get("result") is True]
    if len(results) != 1:
        found = "no result node" if not results else f"several result nodes ({', '.join(results)})"
        raise invalid(f"exactly one node must have 'result': true, found {found}")
    graph = ProcessGraph(parsed, results[0])
    _check_references(graph)
    _check_acyclic(graph)
    read = {ref.node_id for node in parsed.values() for ref in node_references(node.arguments)}
    graph.end_ids = [node_id for node_id in parsed if node_id not in read]
    return graph


def _parse_value(value: Any, node_id: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_EXACT_INTEGER:
        return _as_float(value)
    if isinstance(value, list):
        return [_parse_value(item, node_id) for item in value]
    if not isinstance(value, dict):
        return value
    if "from_node" in value and len(value) == 1:
        if not isinstance(value["from_node"], str):
            raise invalid(f"node '{node_id}': 'from_node' must name a node")
        return FromNode(value["from_node"])
    if "from_parameter" in value and len(value) == 1:
        if not isinstance(value["from_parameter"], str):
            raise invalid(f"node '{node_id}': 'from_parameter' must name a parameter")
        return FromParameter(value["from_parameter"])
    if "process_graph" in value and isinstance(value["process_graph"], dict):
        return ChildGraph(parse_graph(value["process_graph"]), value)
    return {key: _parse_value(item, node_id) for key, item in value.items()}


def _as_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:  # beyond the largest float: infinity, as 1e400 in JSON reads
        return float("inf") if value > 0 else float("-inf")


def walk(value: Any) -> Iterator[Any]:
    """Every reference in an argument value, not descending into child graphs."""
    if isinstance(value, FromNode | FromParameter | ChildGraph):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk(item)


def node_references(arguments: dict[str, Any]) -> list[FromNode]:
    return [ref for ref in walk(arguments) if isinstance(ref, FromNode)]


def parameter_references(graph: ProcessGraph) -> set[str]:
    """Names of the parameters a graph reads, including from inside its child graphs."""
    names: set[str] = set()
    for node in graph.nodes.values():
        for ref in walk(node.arguments):
            if isinstance(ref, FromParameter):
                names.add(ref.name)
            elif isinstance(ref, ChildGraph):
                names |= parameter_references(ref.graph)
    return names


def _check_references(graph: ProcessGraph) -> None:
    for node in graph.nodes.values():
        for ref in node_references(node.arguments):
            if ref.node_id not in graph.nodes:
                raise invalid(f"node '{node.id}' refers to a node '{ref.node_id}' that does not exist")


def _check_acyclic(graph: ProcessGraph) -> None:
    """Depth-first search with colours: reaching a node still on the stack means a cycle."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node_id: str, path: list[str]) -> None:
        state[node_id] = 1
        for ref in node_references(graph.nodes[node_id].arguments):
            if state.get(ref.node_id) == 1:
                cycle = (
                    path[path.index(ref.node_id) :] + [ref.node_id] if ref.node_id in path else [ref.node_id]
                )
                raise invalid(f"the graph has a cycle: {' -> '.join(cycle)}")
            if ref.node_id not in state:
                visit(ref.node_id, path + [ref.node_id])
        state[node_id] = 2

    for node_id in graph.nodes:
        if node_id not in state:
            visit(node_id, [node_id])
