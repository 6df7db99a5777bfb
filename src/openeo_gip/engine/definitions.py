"""Which process a node calls: a predefined one (implementation + metadata) or a user-defined one.

The engine imports no process: whoever runs a graph hands it the processes the graph may call
(``Processes``): the predefined ones (``processes/registry.py``) and the user's own
(``db/process_graphs.py``).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from openeo_gip.errors import ApiError


class Implementation(Protocol):
    """What the engine calls for a predefined process."""

    @property
    def func(self) -> Callable[..., Any]: ...

    # Whether ``func`` takes the keyword-only ``ctx`` (a ``ProcessContext``).
    @property
    def needs_context(self) -> bool: ...


class PredefinedProcess(Protocol):
    """A predefined process: its openEO description (``parameters``, ``returns``...) and implementation."""

    @property
    def spec(self) -> dict: ...

    @property
    def implementation(self) -> Implementation: ...


# Look up a process by id (``None`` when there is none): a predefined one, a stored one of the current user.
PredefinedProcesses = Callable[[str], PredefinedProcess | None]
UserProcesses = Callable[[str], dict | None]
# Look up another user's public process by the namespace a node names (``None`` when there is none).
SharedProcesses = Callable[[str, str], dict | None]


def no_user_processes(process_id: str) -> dict | None:
    return None


def no_shared_processes(namespace: str, process_id: str) -> dict | None:
    return None


@dataclasses.dataclass(frozen=True)
class Processes:
    """The processes a graph may call: the predefined ones and the current user's own."""

    predefined: PredefinedProcesses
    user: UserProcesses = no_user_processes
    shared: SharedProcesses = no_shared_processes
    # The ids of the predefined processes, for a "did you mean" on a misspelt id.
    predefined_ids: Callable[[], Iterable[str]] = tuple


def remembering(processes: Processes) -> Processes:
    """``processes`` looking each stored process up once (a query each): validating, checking the calls of
    user-defined processes and evaluating one graph each resolve every node."""
    return dataclasses.replace(
        processes, user=functools.cache(processes.user), shared=functools.cache(processes.shared)
    )


@dataclasses.dataclass(frozen=True)
class Definition:
    id: str
    # The openEO parameter descriptions: name, schema, optional, default...
    parameters: list[dict]
    returns: dict
    implementation: Implementation | None = None
    # For a user-defined process: its stored process object (``process_graph``, ``parameters``...).
    user_process: dict | None = None


def predefined_definition(process: PredefinedProcess) -> Definition:
    spec = process.spec
    return Definition(spec["id"], spec.get("parameters", []), spec.get("returns", {}), process.implementation)


def user_defined(process: dict) -> Definition:
    return Definition(
        process.get("id", ""),
        list(process.get("parameters") or []),
        process.get("returns") or {},
        user_process=process,
    )


def resolve(process_id: str, namespace: str | None, processes: Processes) -> Definition:
    """The definition a node means; the user's own process wins over a predefined one of the same id
    when no namespace is given, as the API asks. Any other namespace names another user's public process."""
    if namespace not in (None, "user", "backend"):
        shared = processes.shared(namespace, process_id)
        if shared is None:
            raise ApiError("ProcessUnsupported", process=process_id, namespace=namespace)
        return user_defined(shared)
    if namespace in (None, "user"):
        stored = processes.user(process_id)
        if stored is not None:
            return user_defined(stored)
    if namespace in (None, "backend"):
        offered = processes.predefined(process_id)
        if offered is not None:
            return predefined_definition(offered)
    error = ApiError("ProcessUnsupported", process=process_id, namespace=namespace or "backend")
    close = difflib.get_close_matches(str(process_id).lower(), list(processes.predefined_ids()), n=1)
    if close and namespace != "user":
        error.message += f" Did you mean '{close[0]}'?"
    raise error
