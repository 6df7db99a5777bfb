"""Batch jobs: ``/jobs`` and everything under it, plus the signed downloads of their results."""

from __future__ import annotations

import shutil
from functools import partial
from typing import Any

from flask import Blueprint, jsonify, request, send_file
from flask.views import MethodView

from openeo_gip.api.common import (
    created,
    json_body,
    link,
    logs_response,
    page_links,
    paging,
    public_url,
    services,
)
from openeo_gip.api.process_graphs import check_process, processes_of
from openeo_gip.auth.login import bearer_auth, current_user
from openeo_gip.db.logs import LEVELS
from openeo_gip.db.models import Job, utcnow
from openeo_gip.errors import ApiError
from openeo_gip.jobs import job_folder
from openeo_gip.jobs.estimate import estimate, refuse_oversized
from openeo_gip.jobs.links import ITEM, in_scope, linked_file, linked_job, verify
from openeo_gip.jobs.stac import item_document, results_document
from openeo_gip.jobs.store import (
    ACTIVE,
    STARTABLE,
    create_job,
    delete_job,
    list_jobs,
    owned_job,
    read_logs,
    set_status,
    write_log,
)
from openeo_gip.model.dates import rfc3339

blueprint = Blueprint("jobs", __name__)
# Endpoints named "internal.*" are left out of the capabilities document.
download_blueprint = Blueprint("internal", __name__)

_EDITABLE = ("title", "description", "process", "plan", "budget", "log_level")


def _describe(job: Job, full: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": job.id,
        "title": job.title,
        "description": job.description,
        "status": job.status,
        "progress": 100.0 if job.status == "finished" else (job.progress if job.status != "queued" else 0.0),
        "created": rfc3339(job.created),
        "updated": rfc3339(job.updated),
        "plan": job.plan,
        "costs": 0,
        "budget": job.budget,
        "log_level": job.log_level,
    }
    if job.status == "created":
        del document["progress"]
    if document["plan"] is None:  # a plan is a name; "no plan" is said by leaving it out
        del document["plan"]
    if full:
        document = {**(job.extra or {}), **document, "process": job.process}
        if job.usage:
            document["usage"] = job.usage
        base = f"/jobs/{job.id}"
        document["links"] = [link(public_url(base + "/logs"), "monitor", "Logs")]
        if job.status == "finished":
            document["links"].append(link(public_url(base + "/results"), "result", "Results"))
    return document


def _fields(body: Any, *, creating: bool) -> dict[str, Any]:
    """The job columns of a POST or PATCH body; ``RequestBodyInvalid`` for wrong types."""
    if not isinstance(body, dict):
        raise ApiError("RequestBodyInvalid", reason="expected a JSON object")
    if creating and "process" not in body:
        raise ApiError("ProcessGraphMissing")
    fields: dict[str, Any] = {}
    for name in _EDITABLE:
        if name not in body:
            continue
        value = body[name]
        if name in ("title", "description", "plan") and not (value is None or isinstance(value, str)):
            raise ApiError("RequestBodyInvalid", reason=f"'{name}' must be a string or null")
        if name == "budget" and not (value is None or _number(value) and value >= 0):
            raise ApiError("BudgetInvalid")
        if name == "log_level" and value not in LEVELS:
            raise ApiError("RequestBodyInvalid", reason=f"'log_level' must be one of {', '.join(LEVELS)}")
        if name == "process":
            check_process(value)
        fields[name] = value
    if creating:
        fields["extra"] = {key: value for key, value in body.items() if key not in _EDITABLE}
    return fields


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _owned(job_id: str) -> Job:
    return owned_job(services().db, job_id, current_user().id)


def _runner():
    return getattr(services(), "jobs", None)


class JobList(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self):
        limit, offset = paging()
        jobs, total = list_jobs(services().db, current_user().id, limit, offset)
        return jsonify(
            {
                "jobs": [_describe(job, full=False) for job in jobs],
                "links": page_links("/jobs", limit, offset, total),
            }
        )

    def post(self):
        fields = _fields(json_body(), creating=True)
        fields.setdefault("log_level", "info")
        job = create_job(services().db, current_user().id, fields)
        return created(_describe(job, full=False), f"/jobs/{job.id}", job.id)


class JobItem(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self, job_id: str):
        return jsonify(_describe(_owned(job_id), full=True))

    def patch(self, job_id: str):
        job = _owned(job_id)
        body = json_body()
        if job.status in ACTIVE:
            raise ApiError("JobLocked")
        fields = _fields(body, creating=False)
        if not fields:
            raise ApiError("NoDataForUpdate")
        # Guarded: a job queued meanwhile by another request stays as it was.
        if not set_status(services().db, job.id, job.status, expected=(job.status,), **fields):
            raise ApiError("JobLocked")
        return "", 204

    def delete(self, job_id: str):
        job = _owned(job_id)
        db = services().db
        set_status(db, job.id, "canceled", expected=ACTIVE)
        if _runner() is not None:
            _runner().cancel(job.id)
        delete_job(db, job.id)
        shutil.rmtree(job_folder(services().config, job.user_id, job.id), ignore_errors=True)
        return "", 204


class JobResults(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self, job_id: str):
        job = _owned(job_id)
        partial = request.args.get("partial", "false").lower() in ("", "true", "1")
        if job.status == "created" and not partial:
            raise ApiError("JobNotStarted")
        if job.status != "finished" and not partial:
            raise ApiError("JobNotFinished")
        response = jsonify(results_document(services().config, public_url(), job))
        response.headers["OpenEO-Costs"] = "0"
        return response

    def post(self, job_id: str):
        job = _owned(job_id)
        if job.status in ACTIVE:
            raise ApiError("JobLocked")
        user = current_user()
        refuse_oversized(job, services(), user, processes_of(user))
        db = services().db
        queued = set_status(
            db,
            job.id,
            "queued",
            expected=STARTABLE,
            queued_at=utcnow(),
            progress=0.0,
            started=None,
            finished=None,
            results=None,
            usage=None,
        )
        if not queued:
            raise ApiError("JobLocked")
        write_log(db, job.id, "info", "Queued.")
        if _runner() is not None:
            _runner().notify()
        return "", 202

    def delete(self, job_id: str):
        job = _owned(job_id)
        if set_status(services().db, job.id, "canceled", expected=ACTIVE):
            write_log(services().db, job.id, "info", "Cancel requested.")
            if _runner() is not None:
                _runner().cancel(job.id)
        return "", 204


class JobEstimate(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self, job_id: str):
        job = _owned(job_id)
        user = current_user()
        return jsonify(estimate(job.process, services(), user, processes_of(user)))


class JobLogs(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self, job_id: str):
        job = _owned(job_id)
        return logs_response(f"/jobs/{job.id}/logs", job.log_level, partial(read_logs, services().db, job.id))


class Download(MethodView):
    """A signed link: no login; the token itself names the job and file it opens (the file's name after
    it is only for clients that name a download after its link)."""

    def get(self, token: str, name: str | None = None):
        config = services().config
        grant = verify(config, token)
        job = linked_job(services().db, grant)
        if job is None:
            raise ApiError("NotFound")
        if grant.file == "":  # the canonical link: the results document itself
            return jsonify(results_document(config, public_url(), job))
        item_file = in_scope(grant, ITEM)
        if item_file is not None:  # the STAC item of one result file
            item = item_document(config, public_url(), job, item_file)
            if item is None:
                raise ApiError("NotFound")
            return jsonify(item)
        linked = linked_file(config, job, grant)
        if linked is None:
            raise ApiError("NotFound")
        # conditional=True answers Range requests (206) and streams from disk in chunks.
        return send_file(
            linked.path,
            mimetype=linked.media_type,
            conditional=True,
            etag=True,
            download_name=linked.path.name,
        )


blueprint.add_url_rule("/jobs", view_func=JobList.as_view("list"))
blueprint.add_url_rule("/jobs/<job_id>", view_func=JobItem.as_view("item"))
blueprint.add_url_rule("/jobs/<job_id>/results", view_func=JobResults.as_view("results"))
blueprint.add_url_rule("/jobs/<job_id>/estimate", view_func=JobEstimate.as_view("estimate"))
blueprint.add_url_rule("/jobs/<job_id>/logs", view_func=JobLogs.as_view("logs"))
download_view = Download.as_view("download")
download_blueprint.add_url_rule("/download/<token>", view_func=download_view)
download_blueprint.add_url_rule("/download/<token>/<name>", view_func=download_view)
