"""How the results pipeline is watched for a batch job: progress, cancel requests and task tags.

Each of the job's results has an equal share of the progress. Within one, the fraction is that of the
Dask tasks of the job done since the result started (counted on the scheduler, ``metering.py``), or of its
chunks when the scheduler has no figures; it never reaches the whole share before the files are written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openeo_gip.jobs import metering
from openeo_gip.results.pipeline import Watch


def job_watch(
    client: Any, job_id: str, results: int, should_stop: Callable[[], bool], advance: Callable[[float], None]
) -> Watch:
    """A ``Watch`` reporting the job's progress (0..1) to ``advance`` and stopping when ``should_stop``."""
    share = 1.0 / max(results, 1)
    before: dict[int, dict] = {}  # per result: the scheduler's figures when it started

    def figures() -> dict | None:
        return metering.snapshot(client, job_id) if client is not None else None

    def on_progress(index: int, fraction: float) -> None:
        if index not in before:  # the call as the result starts: where the scheduler's figures stand
            before[index] = figures() or {"tasks": 0, "done": 0}
            return
        start, now = before[index], figures()
        if now and now["tasks"] > start["tasks"]:
            fraction = (now["done"] - start["done"]) / (now["tasks"] - start["tasks"])
        advance((index + 0.99 * min(fraction, 1.0)) * share)

    return Watch(should_stop=should_stop, on_progress=on_progress, scope=lambda: metering.tagged(job_id))
