"""Running one job's process graph: evaluate lazily, compute on the Dask cluster, write the saved results.

The cube of each ``save_result`` is first persisted on the cluster and watched: the job's progress is the
fraction of all Dask tasks of the job done (counted on the scheduler, ``metering.py``), and a cancel request
cancels those futures, which stops the tasks and frees their memory on the workers. The writer then receives
the computed cube. Everything is submitted tagged with the job id, so the scheduler can meter the job.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dask
import xarray as xr
from distributed import futures_of, wait

from openeo_gip.engine.definitions import UserProcesses, no_user_processes
from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError
from openeo_gip.formats import write_result
from openeo_gip.jobs import metering
from openeo_gip.model.values import ProcessContext, SaveRequest

log = logging.getLogger(__name__)

# Seconds between looks at the futures of a running computation (progress and cancel requests).
WATCH_SECONDS = 0.5


class JobCanceled(Exception):
    """The user canceled the job (or deleted it) while it ran."""


def execute(
    process: dict,
    ctx: ProcessContext,
    folder: Path,
    *,
    client: Any = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[float], None] = lambda fraction: None,
    stats: dict[str, float] | None = None,
    user_processes: UserProcesses = no_user_processes,
    job_id: str | None = None,
) -> list[Path]:
    """Evaluate ``process`` and write everything it saves into ``folder``; the written files.

    ``on_progress`` receives the fraction done (0..1); ``should_stop`` is asked regularly and, when true,
    the computation is canceled and ``JobCanceled`` raised. ``stats["bytes"]`` receives the in-memory size
    of the computed results (the duration model of the estimates uses it). ``user_processes`` finds the
    owner's stored processes; ``job_id`` tags the tasks on the cluster for progress and usage.
    """
    result = run_process(process, ctx, user_processes=user_processes)
    requests = list(ctx.saved) or [_default_save(result)]
    written: list[Path] = []
    share = 1.0 / len(requests)

    def figures() -> dict | None:
        return metering.snapshot(client, job_id) if client is not None and job_id else None

    for index, request in enumerate(requests):
        if should_stop():
            raise JobCanceled()
        before = figures() or {"tasks": 0, "done": 0}

        def partial(fraction: float, index: int = index, before: dict = before) -> None:
            now = figures()
            if now and now["tasks"] > before["tasks"]:  # the tasks of this result, from the scheduler
                fraction = (now["done"] - before["done"]) / (now["tasks"] - before["tasks"])
            # This result's share of the job; never all of it before its files are written.
            on_progress((index + 0.99 * min(fraction, 1.0)) * share)

        with metering.tagged(job_id):
            data = _computed(request.data, client, should_stop, partial)
        if stats is not None:
            stats["bytes"] = stats.get("bytes", 0) + float(getattr(data, "nbytes", 0) or 0)
        if should_stop():
            raise JobCanceled()
        target = folder if len(requests) == 1 else folder / f"part-{index + 1}"
        with metering.tagged(job_id):
            written += write_result(SaveRequest(data, request.format, request.options), target, client=client)
        partial(1.0)
    return written


def _default_save(result: Any) -> SaveRequest:
    """A graph without ``save_result``: cubes become GeoTIFF, anything else JSON."""
    if isinstance(result, xr.DataArray):
        return SaveRequest(result, "GTiff")
    return SaveRequest(result, "JSON")


def _computed(data: Any, client: Any, should_stop: Callable[[], bool], progress: Callable[[float], None]):
    if client is None or not dask.is_dask_collection(data):
        return data
    persisted = client.persist(data)
    futures = futures_of(persisted)
    try:
        while True:
            try:
                wait(futures, timeout=WATCH_SECONDS)
            except TimeoutError:
                pass
            progress(sum(future.done() for future in futures) / max(len(futures), 1))
            if all(future.done() for future in futures):
                break
            if should_stop():
                client.cancel(futures, force=True)
                raise JobCanceled()
        failed = next((future for future in futures if future.status == "error"), None)
        if failed is not None:
            _raise_task_error(failed)
        return persisted
    except BaseException:
        client.cancel(futures, force=True)
        raise


def _raise_task_error(future: Any) -> None:
    error = future.exception()
    if isinstance(error, ApiError):
        raise error
    reference = uuid.uuid4().hex
    log.error("a task of a job failed, reference %s", reference, exc_info=error)
    failure = ApiError("Internal", reference=reference)
    failure.message = f"The computation failed: {type(error).__name__}; reference {reference}."
    raise failure
