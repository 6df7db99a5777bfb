"""User-defined processes: ``/process_graphs`` and ``/process_graphs/{id}``, stored per user."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify
from flask.views import MethodView

from openeo_gip.api.common import json_body, link, page_links, paging, public_url, services
from openeo_gip.auth.login import bearer_auth, current_user
from openeo_gip.db.process_graphs import (
    delete_process,
    get_process,
    list_processes,
    public_path,
    public_process,
    put_process,
)
from openeo_gip.engine.definitions import Processes
from openeo_gip.engine.execute import checked_graph, validation_errors
from openeo_gip.errors import ApiError

blueprint = Blueprint("process_graphs", __name__)

PROCESS_ID = re.compile(r"^\w+$")
# What the list shows of each process (everything but the graph, which may be large).
LISTED = ("id", "summary", "description", "categories", "parameters", "returns", "deprecated", "experimental")


def processes_of(user: Any) -> Processes:
    """The processes ``user``'s graphs may call: the predefined ones, their own (none without a user) and
    public ones of others, named by this server's canonical addresses."""
    return services().processes_for(getattr(user, "id", None), public_url())


def check_process(process: Any, parameters: dict[str, Any] | None = None) -> None:
    """The ``process`` of a job or service the current user creates or changes: ``ProcessGraphMissing``
    without a graph, the first validation error as an ``ApiError``. ``parameters``: what its graph may
    name besides its own (a service's tile parameters)."""
    if not isinstance(process, dict) or "process_graph" not in process:
        raise ApiError("ProcessGraphMissing")
    user = current_user()
    checked_graph(
        process, services=services(), user=user, processes=processes_of(user), parameters=parameters
    )


def _with_canonical_link(document: dict, owner: str) -> dict:
    """A public process gets the link anyone can read it at, which is also its namespace for others."""
    if document.get("public") is not True:
        return document
    href = public_url(public_path(owner, document["id"]))
    return {**document, "links": [*document.get("links", []), link(href, "canonical", document["id"])]}


def _check_id(process_graph_id: str) -> None:
    if not PROCESS_ID.match(process_graph_id):
        raise ApiError(
            "ParameterInvalid",
            parameter="process_graph_id",
            reason="use letters, digits and underscores only",
        )


class ProcessGraphList(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self):
        limit, offset = paging()
        documents = list_processes(services().db, current_user().id)
        shown = documents[offset : offset + limit] if limit else documents[offset:]
        processes = [{key: doc[key] for key in LISTED if key in doc} for doc in shown]
        links = page_links("/process_graphs", limit, offset, len(documents))
        return jsonify({"processes": processes, "links": links})


class ProcessGraphItem(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self, process_graph_id: str):
        _check_id(process_graph_id)
        user = current_user()
        document = get_process(services().db, user.id, process_graph_id)
        if document is None:
            raise ApiError("ProcessGraphNotFound", identifier=process_graph_id)
        return jsonify(_with_canonical_link(document, user.name))

    def put(self, process_graph_id: str):
        _check_id(process_graph_id)
        document = json_body()
        if not isinstance(document, dict):
            raise ApiError("ProcessInvalid", "The user-defined process must be a JSON object.")
        document = {**document, "id": process_graph_id}
        user = current_user()
        errors = validation_errors(document, services=services(), user=user, processes=processes_of(user))
        if errors:
            raise errors[0]
        put_process(services().db, user.id, process_graph_id, document)
        return Response(status=200)

    def delete(self, process_graph_id: str):
        _check_id(process_graph_id)
        if not delete_process(services().db, current_user().id, process_graph_id):
            raise ApiError("ProcessGraphNotFound", identifier=process_graph_id)
        return Response(status=204)


class PublicProcess(MethodView):
    """A process its owner made public, readable without logging in at its canonical address."""

    def get(self, owner: str, process_graph_id: str):
        document = public_process(services().db, owner, process_graph_id)
        if document is None:
            raise ApiError("ProcessGraphNotFound", identifier=process_graph_id)
        return jsonify(_with_canonical_link(document, owner))


blueprint.add_url_rule("/process_graphs", view_func=ProcessGraphList.as_view("list"))
blueprint.add_url_rule("/process_graphs/<process_graph_id>", view_func=ProcessGraphItem.as_view("item"))
blueprint.add_url_rule("/processes/u/<owner>/<process_graph_id>", view_func=PublicProcess.as_view("public"))
