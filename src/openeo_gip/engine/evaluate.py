"""Evaluation of a parsed process graph: from its end nodes backwards, each node once, into lazy values.

Child graphs become ``Callback``s that evaluate the child once per call with the callback's arguments
added to (and shadowing) the parameters of the enclosing graph. User-defined processes run their stored
graph with the node's arguments as parameters, missing ones taking the declared defaults.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from openeo_gip.engine.definitions import Definition, Processes, resolve
from openeo_gip.engine.graph import ChildGraph, FromNode, FromParameter, Node, ProcessGraph, parse_graph
from openeo_gip.errors import ApiError, internal_error
from openeo_gip.model.limits import MAX_CALLBACK_CALLS, MAX_USER_PROCESS_DEPTH
from openeo_gip.model.values import Callback, ProcessContext

log = logging.getLogger(__name__)


def evaluate(
    graph: ProcessGraph,
    context: ProcessContext,
    *,
    processes: Processes,
    parameters: dict[str, Any] | None = None,
) -> Any:
    """The value of the result node of ``graph``; every other end node (e.g. ``save_result``) runs too."""
    runner = _Runner(context, processes)
    return runner.run(graph, dict(parameters or {}), top_level=True)


@dataclasses.dataclass
class _Shared:
    """What the runners of one evaluation (user-defined processes included) share: how often callbacks ran,
    and the definitions found, so that a callback run per array element looks up no stored process again."""

    calls: int = 0
    definitions: dict[tuple[str, str | None], Definition] = dataclasses.field(default_factory=dict)


class _Runner:
    def __init__(
        self, context: ProcessContext, processes: Processes, depth: int = 0, shared: _Shared | None = None
    ):
        self.context = context
        self.processes = processes
        self.depth = depth
        self.shared = shared or _Shared()

    def run(self, graph: ProcessGraph, scope: dict[str, Any], top_level: bool = False) -> Any:
        done: dict[str, Any] = {}
        if top_level:
            for node_id in graph.end_ids:
                if node_id != graph.result_id:
                    self.node(graph, graph.nodes[node_id], scope, done)
        return self.node(graph, graph.result, scope, done)

    def node(self, graph: ProcessGraph, node: Node, scope: dict, done: dict) -> Any:
        if node.id in done:
            return done[node.id]
        try:
            definition = self.definition(node)
            arguments = {name: self.value(raw, graph, scope, done) for name, raw in node.arguments.items()}
            result = self.call(definition, node, arguments)
        except ApiError as error:
            raise _naming(error, node) from None
        except RecursionError:
            raise ApiError("ProcessGraphInvalid", reason=f"node '{node.id}' nests too deeply") from None
        except Exception as error:
            raise internal_error(log, f"Node '{node.id}' ({node.process_id})", error) from error
        done[node.id] = result
        return result

    def definition(self, node: Node) -> Definition:
        key = (node.process_id, node.namespace)
        if key not in self.shared.definitions:
            self.shared.definitions[key] = resolve(node.process_id, node.namespace, self.processes)
        return self.shared.definitions[key]

    def value(self, raw: Any, graph: ProcessGraph, scope: dict, done: dict) -> Any:
        if isinstance(raw, FromNode):
            return self.node(graph, graph.nodes[raw.node_id], scope, done)
        if isinstance(raw, FromParameter):
            if raw.name not in scope:
                raise ApiError("ProcessGraphInvalid", reason=f"parameter '{raw.name}' has no value")
            return scope[raw.name]
        if isinstance(raw, ChildGraph):
            return self.callback(raw, scope)
        if isinstance(raw, list):
            return [self.value(item, graph, scope, done) for item in raw]
        if isinstance(raw, dict):
            return {key: self.value(item, graph, scope, done) for key, item in raw.items()}
        return raw

    def callback(self, child: ChildGraph, scope: dict) -> Callback:
        def run(**arguments: Any) -> Any:
            # Callbacks on cubes run once for all pixels; only plain arrays run them per element, and
            # nested over large arrays that would hold a server thread for hours.
            self.shared.calls += 1
            if self.shared.calls > MAX_CALLBACK_CALLS:
                raise ApiError(
                    "ProcessGraphComplexity",
                    f"Callbacks ran more than {MAX_CALLBACK_CALLS} times, once per element of plain arrays; "
                    "use smaller arrays, or data cubes, whose callbacks run once for all pixels.",
                )
            return self.run(child.graph, {**scope, **arguments})

        return Callback(run)

    def call(self, definition: Definition, node: Node, arguments: dict[str, Any]) -> Any:
        if definition.user_process is not None:
            return self.user_process(definition, node, arguments)
        implementation = definition.implementation
        if implementation.needs_context:
            ctx = dataclasses.replace(self.context, node_id=node.id, process_id=node.process_id)
            return implementation.func(**arguments, ctx=ctx)
        return implementation.func(**arguments)

    def user_process(self, definition: Definition, node: Node, arguments: dict[str, Any]) -> Any:
        if self.depth >= MAX_USER_PROCESS_DEPTH:
            raise ApiError(
                "ProcessGraphInvalid", reason=f"user-defined processes nest deeper than {self.depth}"
            )
        process = definition.user_process
        if not process.get("process_graph"):
            raise ApiError("ProcessGraphMissing")
        scope: dict[str, Any] = {}
        for parameter in definition.parameters:
            name = parameter["name"]
            if name in arguments:
                scope[name] = arguments[name]
            elif "default" in parameter:
                scope[name] = parameter["default"]
            elif parameter.get("optional"):
                scope[name] = None
            else:
                raise ApiError("ProcessParameterRequired", process=node.process_id, parameter=name)
        unknown = sorted(set(arguments) - set(scope))
        if unknown:
            raise ApiError("ProcessParameterUnsupported", process=node.process_id, parameter=unknown[0])
        inner = _Runner(self.context, self.processes, self.depth + 1, self.shared)
        return inner.run(parse_graph(process["process_graph"]), scope)


def _naming(error: ApiError, node: Node) -> ApiError:
    """The error, its message naming the node and process (once, at the innermost node)."""
    if not error.message.startswith("Node '"):
        error.message = f"Node '{node.id}' ({node.process_id}): {error.message}"
        error.args = (error.message,)
    return error
