"""User-defined processes calling one another, checked before anything runs: a process that calls itself
(directly or through others) never ends, since every argument is evaluated, and a chain deeper than
``MAX_USER_PROCESS_DEPTH`` exhausts the interpreter's stack. Both are refused here, so ``/validation``
and storing a process refuse what running it would."""

from __future__ import annotations

from collections.abc import Iterator

from openeo_gip.engine.definitions import Processes, resolve
from openeo_gip.engine.graph import ChildGraph, Node, ProcessGraph, invalid, parse_graph, walk
from openeo_gip.errors import ApiError
from openeo_gip.model.limits import MAX_USER_PROCESS_DEPTH

# A user-defined process as a node names it: (namespace, id); the caller's own have namespace "user".
Key = tuple[str, str]


def user_call_problem(
    graph: ProcessGraph, processes: Processes, own_id: str | None = None
) -> ApiError | None:
    """Why the user-defined processes ``graph`` calls recurse or nest too deeply (``None``: they do not).
    ``own_id`` is the id the process is stored as, so that calling it counts as recursion."""
    path: list[Key] = [("user", own_id)] if own_id else []
    try:
        _Heights(processes, path).of(graph)
    except ApiError as error:
        return error
    return None


class _Heights:
    """The longest chain of user-defined processes below a graph; depth-first, each process once."""

    def __init__(self, processes: Processes, path: list[Key]):
        self.processes = processes
        self.path = path
        self.known: dict[Key, int] = {}

    def of(self, graph: ProcessGraph) -> int:
        highest = 0
        for node in _nodes(graph):
            try:
                definition = resolve(node.process_id, node.namespace, self.processes)
            except ApiError:
                continue  # an unknown process is reported by the validation of the node itself
            if definition.user_process is None:
                continue
            key = (node.namespace if node.namespace not in (None, "user") else "user", definition.id)
            if key in self.path:
                cycle = " -> ".join(name for _, name in [*self.path[self.path.index(key) :], key])
                raise invalid(f"user-defined processes are recursive ({cycle}), which never ends")
            if key not in self.known:
                self.known[key] = 1 + self._below(key, definition.user_process)
            if len(self.path) + self.known[key] > MAX_USER_PROCESS_DEPTH:
                raise _too_deep()
            highest = max(highest, self.known[key])
        return highest

    def _below(self, key: Key, process: dict) -> int:
        if len(self.path) >= MAX_USER_PROCESS_DEPTH:
            raise _too_deep()
        try:
            graph = parse_graph(process.get("process_graph"))
        except ApiError:
            return 0  # a broken stored process fails when it runs, with its own error
        self.path.append(key)
        try:
            return self.of(graph)
        finally:
            self.path.pop()


def _too_deep() -> ApiError:
    return invalid(f"user-defined processes call one another more than {MAX_USER_PROCESS_DEPTH} deep")


def _nodes(graph: ProcessGraph) -> Iterator[Node]:
    """Every node of ``graph`` and of the callbacks in its arguments, at any depth."""
    pending = [graph]
    while pending:
        current = pending.pop()
        for node in current.nodes.values():
            yield node
            pending.extend(ref.graph for ref in walk(node.arguments) if isinstance(ref, ChildGraph))
