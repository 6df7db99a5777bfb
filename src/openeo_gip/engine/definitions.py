"""Which process a node calls: a predefined one (implementation + metadata) or a user-defined one."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openeo_gip.errors import ApiError
from openeo_gip.processes.registry import Implementation, implementations
from openeo_gip.processes.specs import all_specs

# Looks up a stored user-defined process of the current user by id (``None`` when there is none).
UserProcesses = Callable[[str], dict | None]


def no_user_processes(process_id: str) -> dict | None:
    return None


@dataclass(frozen=True)
class Definition:
    id: str
    # The openEO parameter descriptions: name, schema, optional, default...
    parameters: list[dict]
    returns: dict
    implementation: Implementation | None = None
    # For a user-defined process: its stored process object (``process_graph``, ``parameters``...).
    user_process: dict | None = None

    def parameter(self, name: str) -> dict | None:
        return next((p for p in self.parameters if p.get("name") == name), None)


def predefined_ids() -> list[str]:
    """The processes this back-end offers: implemented and described."""
    specs = all_specs()
    return sorted(pid for pid in implementations() if pid in specs)


# Parameters that accept more than their official schema (the spec files state the official facts only):
# load_stac also reads STAC documents stored on this server (data folder, the user's workspace) by path.
WIDER_SCHEMAS: dict[tuple[str, str], dict] = {
    ("load_stac", "url"): {"title": "URL or path on this server", "type": "string", "minLength": 1},
}


def predefined(process_id: str) -> Definition | None:
    implementation = implementations().get(process_id)
    if implementation is None:
        return None
    spec = all_specs().get(process_id)
    if spec is not None:
        parameters = [_widened(process_id, parameter) for parameter in spec.get("parameters", [])]
        return Definition(process_id, parameters, spec.get("returns", {}), implementation)
    return Definition(process_id, _signature_parameters(implementation), {}, implementation)


def _widened(process_id: str, parameter: dict) -> dict:
    wider = WIDER_SCHEMAS.get((process_id, parameter.get("name", "")))
    return parameter if wider is None else {**parameter, "schema": wider}


def _signature_parameters(implementation: Implementation) -> list[dict]:
    """Parameters read from the function until a metadata file describes the process."""
    parameters = []
    for parameter in inspect.signature(implementation.func).parameters.values():
        if parameter.name == "ctx" or parameter.kind is not parameter.POSITIONAL_OR_KEYWORD:
            continue
        entry: dict[str, Any] = {"name": parameter.name.rstrip("_"), "schema": {}}
        if parameter.default is not inspect.Parameter.empty:
            entry["optional"] = True
            entry["default"] = parameter.default
        parameters.append(entry)
    return parameters


def user_defined(process: dict) -> Definition:
    return Definition(
        process.get("id", ""),
        list(process.get("parameters") or []),
        process.get("returns") or {},
        user_process=process,
    )


def resolve(process_id: str, namespace: str | None, user_processes: UserProcesses) -> Definition:
    """The definition a node means; the user's own process wins over a predefined one of the same id
    when no namespace is given, as the API asks."""
    if namespace not in (None, "user", "backend"):
        raise ApiError("ProcessUnsupported", process=process_id, namespace=namespace)
    if namespace in (None, "user"):
        stored = user_processes(process_id)
        if stored is not None:
            return user_defined(stored)
    if namespace in (None, "backend"):
        definition = predefined(process_id)
        if definition is not None:
            return definition
    raise ApiError("ProcessUnsupported", process=process_id, namespace=namespace or "backend")
