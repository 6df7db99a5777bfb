"""``GET /jobs/{id}/estimate``: size from the lazy output cubes, duration from the throughput of past jobs."""

from __future__ import annotations

import math
from typing import Any

import xarray as xr
from sqlalchemy import select

from openeo_gip.db import Database
from openeo_gip.db.models import Job
from openeo_gip.engine.definitions import UserProcesses
from openeo_gip.engine.execute import run_process
from openeo_gip.engine.values import ProcessContext
from openeo_gip.errors import ApiError

# How many recent finished jobs the throughput model averages over.
HISTORY = 50


def output_bytes(process: dict, services: Any, user: Any, user_processes: UserProcesses) -> int:
    """In-memory size of what the job would save, from the shapes and dtypes of the lazy cubes."""
    context = ProcessContext(services=services, user=user)
    result = run_process(
        process, context, user_processes=user_processes
    )  # lazy: nothing is read or computed here
    values = [request.data for request in context.saved] or [result]
    cubes = [value for value in values if isinstance(value, xr.DataArray)]
    if not cubes:
        raise ApiError("EstimateComplexity")
    return int(sum(cube.size * cube.dtype.itemsize for cube in cubes))


def throughput(db: Database) -> float | None:
    """Bytes computed per second over the recent finished jobs of everyone; ``None`` without history."""
    with db.session() as session:
        usages = session.scalars(
            select(Job.usage)
            .where(Job.status == "finished", Job.usage.is_not(None))
            .order_by(Job.finished.desc())
            .limit(HISTORY)
        ).all()
    total_bytes = sum((usage.get("computed") or {}).get("value", 0) for usage in usages)
    total_seconds = sum((usage.get("duration") or {}).get("value", 0) for usage in usages)
    if total_bytes <= 0 or total_seconds <= 0:
        return None
    return total_bytes / total_seconds


def estimate(process: dict, services: Any, user: Any, user_processes: UserProcesses) -> dict[str, Any]:
    size = output_bytes(process, services, user, user_processes)
    document: dict[str, Any] = {"costs": 0, "size": size, "downloads_included": None}
    rate = throughput(services.db)
    if rate:
        document["duration"] = f"PT{max(1, math.ceil(size / rate))}S"
    return document
