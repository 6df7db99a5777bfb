"""export_workspace: ask for the saved results to be copied into the user's files as well.

The only workspace is ``files`` (the user's ``/files``); ``merge`` names a folder there, by default
``jobs/<job id>`` for a batch job and ``results/<UTC time>`` for a synchronous request. The copy happens
after the results are written (``workspace/copies.py``): by the job runner for a job, before the answer is
sent for ``POST /result``. The value passed through is ``data`` unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process
from openeo_gip.workspace.copies import FILES_WORKSPACE, job_export_folder
from openeo_gip.workspace.paths import checked_parts


@process()
def export_workspace(data: Any, workspace: str, merge: str | None = None, *, ctx: ProcessContext) -> Any:
    if workspace != FILES_WORKSPACE:
        raise invalid(
            "export_workspace", "workspace", f"unknown workspace; this back-end offers '{FILES_WORKSPACE}'"
        )
    if merge is None:
        if ctx.job_id:
            merge = job_export_folder(ctx.job_id)
        else:
            merge = "results/" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    if not isinstance(merge, str):
        raise invalid("export_workspace", "merge", "a folder path is expected")
    merge = merge.rstrip("/")
    checked_parts(merge)  # FilePathInvalid for anything that could leave the files folder
    ctx.exports.append(merge)
    return data
