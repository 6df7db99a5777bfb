"""What the API and the batch jobs call: check a process completely, then evaluate it."""

from __future__ import annotations

from typing import Any

from openeo_gip.engine.definitions import Processes, remembering
from openeo_gip.engine.evaluate import evaluate
from openeo_gip.engine.graph import ProcessGraph, parse_process
from openeo_gip.engine.user_calls import user_call_problem
from openeo_gip.engine.validate import validate_graph
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ProcessContext


def collection_check(services: Any, user: Any = None):
    """A function raising ``CollectionNotFound`` for unknown collections (none when there is no catalogue)."""
    catalog = getattr(services, "catalog", None)
    if catalog is None:
        return None
    return lambda collection_id: catalog.get(collection_id, user=user)


def validation_errors(
    process: Any,
    *,
    services: Any = None,
    user: Any = None,
    processes: Processes,
    declared_parameters: set[str] | None = None,
) -> list[ApiError]:
    """Every problem of a process object (``{"process_graph": ..., "parameters": ...}``); nothing runs."""
    try:
        graph, parameters = parse_process(process)
    except ApiError as error:
        return [error]
    processes = remembering(processes)
    names = {p["name"] for p in parameters} | (declared_parameters or set())
    errors = validate_graph(
        graph,
        processes=processes,
        check_collection=collection_check(services, user),
        parameters=names,
    )
    own_id = process.get("id") if isinstance(process.get("id"), str) else None
    recursion = user_call_problem(graph, processes, own_id)
    return errors + [recursion] if recursion else errors


def checked_graph(
    process: Any,
    *,
    services: Any = None,
    user: Any = None,
    processes: Processes,
    parameters: dict[str, Any] | None = None,
) -> ProcessGraph:
    """The parsed graph of ``process``; the first problem found is raised."""
    errors = validation_errors(
        process,
        services=services,
        user=user,
        processes=processes,
        declared_parameters=set(parameters or {}),
    )
    if errors:
        raise errors[0]
    graph, _ = parse_process(process)
    return graph


def run_process(
    process: Any,
    context: ProcessContext,
    *,
    processes: Processes,
    parameters: dict[str, Any] | None = None,
) -> Any:
    """Validate, then evaluate ``process``; ``context.saved`` collects what ``save_result`` asked for."""
    processes = remembering(processes)
    graph = checked_graph(
        process,
        services=context.services,
        user=context.user,
        processes=processes,
        parameters=parameters,
    )
    _, declared = parse_process(process)
    scope = {p["name"]: p["default"] for p in declared if "default" in p}
    scope.update(parameters or {})
    return evaluate(graph, context, processes=processes, parameters=scope)
