"""load_result: the results of one of the user's own finished batch jobs as a data cube.

openEO 1.x clients call it with a job id (``connection.load_result(job_id)``); in openEO 2.0 the same is
``load_stac`` with the job's results address, which ``job_for_url`` recognises here so that a server
never fetches its own results over HTTP.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import xarray as xr

from openeo_gip.db.models import Job
from openeo_gip.errors import ApiError
from openeo_gip.jobs import job_folder
from openeo_gip.jobs.links import Grant, resolve_file, verify
from openeo_gip.jobs.result_record import NoRasterResults, result_record
from openeo_gip.jobs.store import owned_job
from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.load.collection import cube_from_record
from openeo_gip.processes.registry import process
from openeo_gip.raster.records import CollectionRecord

_RESULTS_PATH = re.compile(r"/jobs/(?P<job>[^/]+)/results/?$")
_DOWNLOAD_PATH = re.compile(r"/download/(?P<token>[^/]+)$")


@process()
def load_result(
    id: str,
    spatial_extent: Any = None,
    temporal_extent: list | None = None,
    bands: list | None = None,
    *,
    ctx: ProcessContext,
) -> xr.DataArray:
    if ctx.user is None:  # no one owns anything
        raise ApiError("JobNotFound", identifier=id)
    job = owned_job(ctx.services.db, id, ctx.user.id)
    record = finished_job_record(ctx, job, "load_result", "id")
    return cube_from_record(
        record,
        spatial_extent,
        temporal_extent,
        bands,
        None,
        process_id="load_result",
        what=f"Batch job '{id}'",
        ctx=ctx,
    )


def finished_job_record(ctx: ProcessContext, job: Job, process_id: str, parameter: str) -> CollectionRecord:
    if job.status != "finished":
        raise ApiError("JobNotFinished")
    try:
        return result_record(ctx.services.config, job)
    except NoRasterResults as exc:
        raise invalid(process_id, parameter, str(exc)) from None


def result_file_for_url(url: str, ctx: ProcessContext) -> Path | None:
    """The file a signed download link made here points to (read from disk: a server fetching from itself
    over HTTP could wait for itself), or ``None`` for any other address."""
    grant = _grant(url, ctx)
    if grant is None or grant.file == "":
        return None
    with ctx.services.db.session() as session:
        job = session.get(Job, grant.job_id)
    if job is None or job.status != "finished":
        raise invalid("load_url", "url", "the batch job of this link has no results (any more)")
    path = resolve_file(job_folder(ctx.services.config, job.user_id, job.id), grant.file)
    if path is None:
        raise invalid("load_url", "url", "the file of this link does not exist (any more)")
    return path


def _grant(url: str, ctx: ProcessContext) -> Grant | None:
    signed = _DOWNLOAD_PATH.search(urlparse(url).path)
    if signed is None:
        return None
    try:
        return verify(ctx.services.config, signed.group("token"))
    except ApiError as error:
        if error.code == "ResultLinkExpired":
            raise
        return None  # not signed here


def job_for_url(url: str, ctx: ProcessContext) -> Job | None:
    """The job whose results ``url`` names, if it is one of this server's: ``.../jobs/{id}/results`` of a
    job of the requesting user, or a signed results link made here (which anyone holding it may use)."""
    path = urlparse(url).path
    owned = _RESULTS_PATH.search(path)
    if owned is not None and ctx.user is not None:
        try:
            return owned_job(ctx.services.db, owned.group("job"), ctx.user.id)
        except ApiError:  # not a job of this user here: maybe another back-end's, fetched as usual
            return None
    grant = _grant(url, ctx)
    if grant is None or grant.file != "":  # not a results document signed here
        return None
    with ctx.services.db.session() as session:
        job = session.get(Job, grant.job_id)
    if job is None:
        raise ApiError("JobNotFound", identifier=grant.job_id)
    return job
