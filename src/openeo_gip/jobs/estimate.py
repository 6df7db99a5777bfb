"""``GET /jobs/{id}/estimate``: size from the lazy output cubes, duration from a model fitted to past jobs.

The model is ``seconds = fixed + per_byte * bytes`` (bytes: the in-memory size of the saved cubes), a
least-squares line through the last ``HISTORY`` finished jobs of everyone. ``fixed`` is what every job costs
(graph, cluster, files); ``per_byte`` the throughput. With too little history for a line (fewer than three
jobs, or all of one size) or a line that makes no sense (falling, or below zero at zero bytes), it is the
plain ratio: total seconds / total bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from openeo_gip.db import Database
from openeo_gip.engine.definitions import Processes
from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError
from openeo_gip.jobs import job_folder
from openeo_gip.jobs.store import recent_usages
from openeo_gip.model.values import ProcessContext
from openeo_gip.results.pipeline import planned_results
from openeo_gip.workspace import folder_size
from openeo_gip.workspace.quota import user_quota

# How many recent finished jobs the duration model is fitted to.
HISTORY = 50


def output_bytes(process: dict, services: Any, user: Any, processes: Processes) -> int:
    """In-memory size of what the job would save, from the shapes and dtypes of the lazy cubes."""
    context = ProcessContext(services=services, user=user)
    result = run_process(process, context, processes=processes)  # lazy: nothing is read or computed here
    values = [request.data for request in planned_results(result, context)]
    cubes = [value for value in values if isinstance(value, xr.DataArray)]
    if not cubes:
        raise ApiError("EstimateComplexity")
    return int(sum(cube.size * cube.dtype.itemsize for cube in cubes))


@dataclass(frozen=True)
class DurationModel:
    fixed: float  # seconds every job takes
    per_byte: float  # seconds per byte of saved cube

    def seconds(self, size: int) -> float:
        return self.fixed + self.per_byte * size


def fit(history: list[tuple[float, float]]) -> DurationModel | None:
    """The model for ``(bytes, seconds)`` pairs of past jobs; ``None`` without a usable one."""
    points = np.array([(size, seconds) for size, seconds in history if size > 0 and seconds > 0], dtype=float)
    if len(points) == 0:
        return None
    sizes, seconds = points[:, 0], points[:, 1]
    if len(points) >= 3 and np.ptp(sizes) > 0:
        per_byte, fixed = np.polyfit(sizes, seconds, 1)
        if per_byte > 0 and fixed >= 0:
            return DurationModel(float(fixed), float(per_byte))
    return DurationModel(0.0, float(seconds.sum() / sizes.sum()))


def history(db: Database) -> list[tuple[float, float]]:
    """``(bytes, seconds)`` of the recent finished jobs of everyone."""
    return [
        ((usage.get("computed") or {}).get("value", 0), (usage.get("duration") or {}).get("value", 0))
        for usage in recent_usages(db, HISTORY)
    ]


def estimate(process: dict, services: Any, user: Any, processes: Processes) -> dict[str, Any]:
    size = output_bytes(process, services, user, processes)
    document: dict[str, Any] = {"costs": 0, "size": size, "downloads_included": None}
    model = fit(history(services.db))
    if model is not None:
        document["duration"] = f"PT{max(1, math.ceil(model.seconds(size)))}S"
    return document


def refuse_oversized(job: Any, services: Any, user: Any, processes: Processes) -> None:
    """``StorageQuotaExceeded`` when the job's estimated results exceed ``jobs.max_estimated_bytes`` or
    the space left of its owner's storage quota (its own earlier results count as free: a restart replaces
    them). A job whose size cannot be estimated starts as before: the runner reports what went wrong."""
    try:
        size = output_bytes(job.process, services, user, processes)
    except Exception:  # a graph that fails here fails in the runner too, which logs why for the user
        return
    config = services.config
    limit = config.jobs.max_estimated_bytes
    if limit and size > limit:
        raise ApiError(
            "StorageQuotaExceeded",
            message=f"The results of this job are estimated at {size:,} bytes; this server runs jobs of at "
            f"most {limit:,} bytes of results. Narrow the spatial or temporal extent, select fewer bands or "
            "aggregate (e.g. reduce_dimension, resample_spatial to a coarser resolution).",
        )
    earlier = folder_size(job_folder(config, job.user_id, job.id))
    free = user_quota(config, job.user_id, freed=earlier).free()
    if size > free:
        raise ApiError(
            "StorageQuotaExceeded",
            message=f"The results of this job are estimated at {size:,} bytes, more than the "
            f"{max(free, 0):,} bytes left of your storage quota. Delete files or results of other jobs, or "
            "narrow the extent, select fewer bands or aggregate before saving.",
        )
