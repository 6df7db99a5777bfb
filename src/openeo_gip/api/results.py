"""``POST /validation`` (check a process, compute nothing) and ``POST /result`` (compute it now).

Computing and writing is the results pipeline's (``results/``); this module only speaks HTTP.
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

from flask import Blueprint, jsonify, send_file
from flask.views import MethodView

from openeo_gip.api.common import json_body, services
from openeo_gip.api.process_graphs import processes_of
from openeo_gip.api.request_log import RequestLog
from openeo_gip.auth.login import bearer_auth, current_user
from openeo_gip.engine.execute import run_process, validation_errors
from openeo_gip.errors import ApiError
from openeo_gip.formats import media_type
from openeo_gip.model.values import ProcessContext
from openeo_gip.results.compute import Deadline
from openeo_gip.results.pipeline import (
    Watch,
    check_size,
    copy_results,
    needs_cluster,
    planned_results,
    write_results,
)
from openeo_gip.workspace.scratch import RESULT_PREFIX, scratch_folder

log = logging.getLogger(__name__)
blueprint = Blueprint("results", __name__)


class Validation(MethodView):
    decorators = [bearer_auth.login_required(optional=True)]

    def post(self):
        process = json_body()
        user = current_user()
        errors = validation_errors(process, services=services(), user=user, processes=processes_of(user))
        return jsonify({"errors": [error.to_dict() for error in errors]})


class SyncResult(MethodView):
    decorators = [bearer_auth.login_required]

    def post(self):
        body = json_body()
        if not isinstance(body, dict) or not isinstance(body.get("process"), dict):
            raise ApiError("RequestBodyInvalid", reason="it needs a 'process' object")
        user = current_user()
        config = services().config
        context = ProcessContext(services=services(), user=user, log=RequestLog(log))
        value = run_process(body["process"], context, processes=processes_of(user))
        requests = planned_results(value, context)
        check_size(requests, config.sync.max_pixels)
        cluster = services().cluster
        client = cluster.client() if cluster is not None and needs_cluster(requests) else None
        with scratch_folder(config.paths.cache, RESULT_PREFIX) as folder:
            watch = Watch(deadline=Deadline(config.sync.max_seconds))
            files = write_results(requests, folder, client, watch, single_files=True).files
            copy_results(config, user.id, folder, files, context.exports)
            return _send(files, folder, requests[0].format)


def _send(files: list[Path], folder: Path, format_name: str):
    """One file as it is; several in a ZIP archive, named by their paths below ``folder``.

    The file is sent from an open handle: the caller removes ``folder`` as soon as this returns (waitress
    never runs a response's close callbacks when it sends a file), and the disk space goes with the handle
    once the file was sent or the client went away."""
    if len(files) == 1:
        path, mimetype = files[0], media_type(format_name)
    else:
        path, mimetype = folder / "result.zip", "application/zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
            for file in files:
                bundle.write(file, file.relative_to(folder).as_posix())
    handle = open(path, "rb")  # closed by the WSGI server once sent
    try:
        response = send_file(handle, mimetype=mimetype, download_name=path.name)
        response.content_length = os.fstat(handle.fileno()).st_size
    except BaseException:
        handle.close()
        raise
    return response


blueprint.add_url_rule("/validation", view_func=Validation.as_view("validation"))
blueprint.add_url_rule("/result", view_func=SyncResult.as_view("result"))
