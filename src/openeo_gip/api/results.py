"""``POST /validation`` (check a process, compute nothing) and ``POST /result`` (compute it now)."""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import dask
import numpy as np
import xarray as xr
from distributed import futures_of, wait
from flask import Blueprint, jsonify, send_file
from flask.views import MethodView

from openeo_gip.api.common import json_body, services
from openeo_gip.api.process_graphs import user_processes_of
from openeo_gip.api.request_log import RequestLog
from openeo_gip.auth.login import bearer_auth, current_user
from openeo_gip.engine.execute import run_process, validation_errors
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView, ProcessContext, SaveRequest
from openeo_gip.workspace.export import export_files

log = logging.getLogger(__name__)
blueprint = Blueprint("results", __name__)


class Validation(MethodView):
    decorators = [bearer_auth.login_required(optional=True)]

    def post(self):
        process = json_body()
        user = current_user()
        errors = validation_errors(
            process, services=services(), user=user, user_processes=user_processes_of(user)
        )
        return jsonify({"errors": [error.to_dict() for error in errors]})


class SyncResult(MethodView):
    decorators = [bearer_auth.login_required]

    def post(self):
        body = json_body()
        if not isinstance(body, dict) or not isinstance(body.get("process"), dict):
            raise ApiError("RequestBodyInvalid", reason="it needs a 'process' object")
        user = current_user()
        context = ProcessContext(services=services(), user=user, log=RequestLog(log))
        value = run_process(body["process"], context, user_processes=user_processes_of(user))
        requests = list(context.saved)
        if not requests and _is_cube(value):
            requests = [SaveRequest(value, "JSON")]  # a cube without save_result still has to travel somehow
        limits = services().config.sync
        _check_size([request.data for request in requests] or [value], limits.max_pixels)
        deadline = time.monotonic() + limits.max_seconds
        if not requests:
            return jsonify(json_value(_computed_in_time(value, deadline, limits.max_seconds)))
        return _send_files(requests, deadline, limits.max_seconds, exports=(user.id, context.exports))


def _value_count(value: Any) -> int:
    if isinstance(value, ArrayView):
        value = value.data
    return int(value.size) if isinstance(value, xr.DataArray) else 0


def _check_size(values: list[Any], max_pixels: int) -> None:
    """Refuse, before any computing, results with more values than a synchronous request may make."""
    count = sum(_value_count(value) for value in values)
    if count > max_pixels:
        raise ApiError(
            "ProcessGraphComplexity",
            f"The result would have {count:,} values, more than the {max_pixels:,} a synchronous request "
            "may compute; run it as a batch job (POST /jobs) instead.",
        )


def _computed_in_time(value: Any, deadline: float, max_seconds: float) -> Any:
    """``value`` computed on the cluster (kept there as finished futures), or ``RequestTimeout`` once
    ``deadline`` passed: its tasks are then canceled so the workers stop and free their memory."""
    data = value.data if isinstance(value, ArrayView) else value
    cluster = services().cluster
    if cluster is None or not dask.is_dask_collection(data):
        return value
    client = cluster.client()
    persisted = client.persist(data)
    futures = futures_of(persisted)
    try:
        wait(futures, timeout=max(deadline - time.monotonic(), 0.0))
    except TimeoutError:
        client.cancel(futures, force=True)
        raise ApiError(
            "RequestTimeout",
            f"The computation took longer than the {max_seconds:g} seconds a synchronous request may run "
            "and was stopped; run it as a batch job (POST /jobs) instead.",
        ) from None
    # Failed tasks raise their own error when the writer gathers the result.
    return ArrayView(persisted, value.dim) if isinstance(value, ArrayView) else persisted


def _is_cube(value: Any) -> bool:
    if isinstance(value, ArrayView):
        return value.data.ndim > 1
    return isinstance(value, xr.DataArray) and value.ndim > 0


def _send_files(
    requests: list[SaveRequest], deadline: float, max_seconds: float, *, exports: tuple[str, list[str]]
):
    from openeo_gip.formats import media_type, write_result

    cache = Path(services().config.paths.cache)
    cache.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="result-", dir=cache))
    try:
        cluster = services().cluster
        client = cluster.client() if cluster is not None else None
        files: list[Path] = []
        for number, request in enumerate(requests):
            data = _computed_in_time(request.data, deadline, max_seconds)
            request = SaveRequest(data, request.format, request.options)
            files += write_result(request, folder / str(number), client=client)
        user_id, targets = exports
        source = folder / "0" if len(requests) == 1 else folder
        for target in dict.fromkeys(targets):  # export_workspace: a copy in the user's files too
            export_files(services().config, user_id, source, files, target)
        if len(files) == 1:
            response = send_file(
                files[0], mimetype=media_type(requests[0].format), download_name=files[0].name
            )
        else:
            archive = folder / "result.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
                for path in files:
                    bundle.write(path, path.relative_to(folder).as_posix())
            response = send_file(archive, mimetype="application/zip", download_name="result.zip")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    response.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    return response


def json_value(value: Any) -> Any:
    """A computed value as JSON: arrays as lists, numpy scalars as numbers, NaN and infinities as null
    (JSON has no such numbers)."""
    if isinstance(value, ArrayView):
        value = value.data
    if isinstance(value, xr.DataArray):
        value = value.values
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, np.datetime64):
        return str(value)
    return value


blueprint.add_url_rule("/validation", view_func=Validation.as_view("validation"))
blueprint.add_url_rule("/result", view_func=SyncResult.as_view("result"))
