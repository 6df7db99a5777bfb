"""load_result: the results of one of the user's own finished batch jobs as a data cube.

openEO 1.x clients call it with a job id (``connection.load_result(job_id)``); in openEO 2.0 the same is
``load_stac`` with the job's results address, which ``JobResults.record_of_url`` recognises so that a
server never fetches its own results over HTTP. The jobs are read through ``ctx.services.job_results``
(load/job_results.py).
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.load.collection import cube_from_record
from openeo_gip.processes.load.job_results import JobResults, UnusableResults
from openeo_gip.processes.registry import process


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
    results: JobResults = ctx.services.job_results
    try:
        record = results.record_of_job(id, ctx.user.id)
    except UnusableResults as exc:
        raise invalid("load_result", "id", str(exc)) from None
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
