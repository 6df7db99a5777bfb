"""Computing a lazy value on the Dask cluster, watched: stopped by a deadline or by a cancel request.

The value is persisted on the cluster and its futures are watched. Stopping cancels them, which stops the
tasks and frees their memory on the workers; a failed task raises its error here, before any file is
written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dask
from distributed import futures_of, wait

from openeo_gip.errors import ApiError, internal_error
from openeo_gip.model.values import ArrayView

log = logging.getLogger(__name__)

# Seconds between looks at the futures of a running computation (progress and cancel requests).
WATCH_SECONDS = 0.5


@dataclass(frozen=True)
class Deadline:
    """The time a synchronous computation must be done by: ``seconds`` from when it was made."""

    seconds: float
    at: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", time.monotonic() + self.seconds)

    def left(self) -> float:
        return max(self.at - time.monotonic(), 0.0)


class Canceled(Exception):
    """The caller asked to stop (a batch job canceled or deleted while it ran)."""


def never() -> bool:
    return False


def computed(
    value: Any,
    client: Any,
    *,
    deadline: Deadline | None = None,
    should_stop: Callable[[], bool] = never,
    on_progress: Callable[[float], None] = lambda fraction: None,
) -> Any:
    """``value`` computed on ``client`` (kept there as finished futures); anything else as it is.

    Past ``deadline`` the computation is stopped with ``RequestTimeout``; ``should_stop`` is asked
    regularly and stops it with ``Canceled``; ``on_progress`` receives the fraction of chunks done."""
    data = value.data if isinstance(value, ArrayView) else value
    if client is None or not dask.is_dask_collection(data):
        return value
    persisted = client.persist(data)
    futures = futures_of(persisted)
    try:
        while True:
            timeout = WATCH_SECONDS if deadline is None else min(WATCH_SECONDS, deadline.left())
            try:
                wait(futures, timeout=timeout)
            except TimeoutError:
                pass
            done = sum(future.done() for future in futures)
            on_progress(done / max(len(futures), 1))
            if done == len(futures):
                break
            if should_stop():
                raise Canceled()
            if deadline is not None and deadline.left() == 0.0:
                raise ApiError(
                    "RequestTimeout",
                    f"The computation took longer than the {deadline.seconds:g} seconds a synchronous "
                    "request may run and was stopped; run it as a batch job (POST /jobs) instead.",
                )
        failed = next((future for future in futures if future.status == "error"), None)
        if failed is not None:
            error = failed.exception()
            if isinstance(error, ApiError):
                raise error
            raise internal_error(log, "A task of the computation", error)
    except BaseException:
        client.cancel(futures, force=True)
        raise
    return ArrayView(persisted, value.dim) if isinstance(value, ArrayView) else persisted


def release(value: Any) -> None:
    """Let the cluster forget a value ``computed`` kept there, once it is written. Waiting for its last
    reference to go is not enough: xarray's accessors (``.rio``) make reference cycles that keep a cube
    alive until Python's garbage collector runs, and its results held on the workers meanwhile. Only this
    value's own futures are released: another request computing the same keys keeps its own."""
    data = value.data if isinstance(value, ArrayView) else value
    if dask.is_dask_collection(data):
        for future in futures_of(data):
            future.release()
