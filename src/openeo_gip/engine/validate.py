"""Checks of a parsed process graph before anything is computed; every problem found is reported.

Literal argument values are checked against the parameter schemas (with openEO subtypes); references are
checked by what they can be: the result of a node by its process' return schema, a child graph only where
a callback is expected, a parameter only when it is defined in the enclosing scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openeo_gip.engine.definitions import Definition, Processes, resolve
from openeo_gip.engine.graph import ChildGraph, FromNode, FromParameter, Node, ProcessGraph, walk
from openeo_gip.engine.schemas import alternatives, kinds, kinds_compatible, literal_problem
from openeo_gip.errors import ApiError

# Raises ``CollectionNotFound`` for an unknown collection id.
CollectionCheck = Callable[[str], Any]


def validate_graph(
    graph: ProcessGraph,
    *,
    processes: Processes,
    check_collection: CollectionCheck | None = None,
    parameters: set[str] | None = None,
) -> list[ApiError]:
    """Every problem of ``graph`` as an ``ApiError``. ``parameters`` are the names ``from_parameter`` may
    use (``None``: not known, anything goes)."""
    checker = _Checker(processes, check_collection)
    checker.graph(graph, parameters)
    return checker.errors


class _Checker:
    def __init__(self, processes: Processes, check_collection: CollectionCheck | None):
        self.processes = processes
        self.check_collection = check_collection
        self.errors: list[ApiError] = []

    def graph(self, graph: ProcessGraph, scope: set[str] | None) -> None:
        definitions: dict[str, Definition] = {}
        for node in graph.nodes.values():
            try:
                definitions[node.id] = resolve(node.process_id, node.namespace, self.processes)
            except ApiError as error:
                self.errors.append(_about_node(error, node))
        for node_id, definition in definitions.items():
            self.node(graph.nodes[node_id], definition, definitions, scope)

    def node(self, node: Node, definition: Definition, definitions: dict[str, Definition], scope) -> None:
        names = {p["name"] for p in definition.parameters}
        for name in node.arguments:
            if name not in names:
                self.errors.append(
                    _about_node(
                        ApiError("ProcessParameterUnsupported", process=node.process_id, parameter=name), node
                    )
                )
        for parameter in definition.parameters:
            name = parameter["name"]
            if name not in node.arguments:
                if not parameter.get("optional") and "default" not in parameter:
                    error = ApiError("ProcessParameterRequired", process=node.process_id, parameter=name)
                    self.errors.append(_about_node(error, node))
                continue
            self.argument(node, parameter, node.arguments[name], definitions, scope)
        collection = node.arguments.get("id")
        if node.process_id == "load_collection" and isinstance(collection, str) and self.check_collection:
            try:
                self.check_collection(collection)
            except ApiError as error:
                self.errors.append(error)

    def argument(self, node: Node, parameter: dict, value: Any, definitions: dict, scope) -> None:
        schema = parameter.get("schema", {})
        problem = None
        if isinstance(value, FromNode):
            source = definitions.get(value.node_id)
            produced = (source.returns or {}).get("schema", {}) if source else {}
            if not kinds_compatible(produced, schema):
                problem = f"node '{value.node_id}' gives {_describe(produced)}, expected {_describe(schema)}"
        elif isinstance(value, FromParameter):
            if scope is not None and value.name not in scope:
                error = ApiError(
                    "ProcessGraphInvalid",
                    reason=f"node '{node.id}' reads parameter '{value.name}', which is not defined here",
                )
                self.errors.append(error)
        elif isinstance(value, ChildGraph):
            callbacks = [opt for opt in alternatives(schema) if opt.get("subtype") == "process-graph"]
            wanted = kinds(schema)
            if wanted is not None and "process-graph" not in wanted:
                problem = f"a process graph was given, expected {_describe(schema)}"
            else:
                inner = None
                if callbacks and "parameters" in callbacks[0] and scope is not None:
                    inner = scope | {p["name"] for p in callbacks[0]["parameters"]}
                self.graph(value.graph, inner)
        elif any(True for _ in walk(value)):
            for child in walk(value):  # values built from references are checked when computed
                if isinstance(child, ChildGraph):
                    self.graph(child.graph, None)
        else:
            problem = literal_problem(value, schema)
        if problem:
            error = ApiError(
                "ProcessParameterInvalid",
                process=node.process_id,
                parameter=parameter["name"],
                reason=problem,
            )
            self.errors.append(_about_node(error, node))


def _describe(schema: Any) -> str:
    found = kinds(schema)
    return "any value" if found is None else " or ".join(sorted(found))


def _about_node(error: ApiError, node: Node) -> ApiError:
    """The same error, its message naming the node."""
    prefix = f"Node '{node.id}' ({node.process_id}): "
    if not error.message.startswith("Node '"):
        error.message = prefix + error.message
        error.args = (error.message,)
    return error
