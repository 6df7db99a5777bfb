"""What a job's Dask tasks did on the cluster: task run time, how many are done, memory they held.

A scheduler plugin (``JobMeter``) keeps one tally per job. The job's graphs are submitted inside
``tagged(job_id)``, so the scheduler sees the job id as an annotation of their tasks and ``update_graph``
learns every task of the job (also tasks an identical graph of another job already holds). Task
transitions then add up:

- ``task_seconds``: the compute time the workers report for each task of the job (busy worker-thread
  time, the figure Dask's own task stream shows);
- ``done`` / ``total``: tasks finished out of all tasks of the job's graphs seen so far;
- ``held_bytes``: the sizes of the job's results held in worker memory right now; its largest value
  (``peak_bytes``) and its integral over time (``byte_seconds``).

The runner reads the tally with ``snapshot`` while the job runs and removes it with ``collect`` at the end.
``collect`` runs on the scheduler's event loop, like the plugin's hooks, so no lock is needed; ``snapshot``
of an in-process scheduler only reads counters (a progress value one task old is fine).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dask
from distributed.diagnostics.plugin import SchedulerPlugin

log = logging.getLogger(__name__)

# The annotation that carries the job id to the scheduler.
ANNOTATION = "openeo_gip_job"
PLUGIN_NAME = "openeo-gip-job-meter"


@contextlib.contextmanager
def tagged(job_id: str | None) -> Iterator[None]:
    """Graphs submitted inside this block are counted for ``job_id``."""
    if job_id is None:
        yield
        return
    with dask.annotate(**{ANNOTATION: job_id}):
        yield


@dataclass
class Tally:
    keys: set = field(default_factory=set)
    done: set = field(default_factory=set)
    held: dict = field(default_factory=dict)  # key -> bytes in worker memory
    task_seconds: float = 0.0
    held_bytes: int = 0
    peak_bytes: int = 0
    byte_seconds: float = 0.0
    since: float = field(default_factory=time.monotonic)

    def _advance(self) -> None:
        now = time.monotonic()
        self.byte_seconds += self.held_bytes * (now - self.since)
        self.since = now

    def hold(self, key: Any, nbytes: int) -> None:
        self._advance()
        self.held_bytes += nbytes - self.held.get(key, 0)
        self.held[key] = nbytes
        self.peak_bytes = max(self.peak_bytes, self.held_bytes)

    def release(self, key: Any) -> None:
        if key in self.held:
            self._advance()
            self.held_bytes -= self.held.pop(key)

    def figures(self, final: bool = True) -> dict[str, float]:
        if final:
            self._advance()
        return {
            "tasks": len(self.keys),
            "done": len(self.done),
            "task_seconds": self.task_seconds,
            "peak_bytes": self.peak_bytes,
            "byte_seconds": self.byte_seconds,
        }


class JobMeter(SchedulerPlugin):
    name = PLUGIN_NAME
    # Servers and workers sharing one scheduler each register it: the first instance stays.
    idempotent = True

    def __init__(self) -> None:
        self.tallies: dict[str, Tally] = {}
        self.owners: dict[Any, set[str]] = {}  # task key -> ids of the jobs it belongs to
        self.scheduler: Any = None

    async def start(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def update_graph(self, scheduler: Any, *, tasks: list, annotations: dict, **kwargs: Any) -> None:
        self.scheduler = scheduler
        for job_id in set((annotations.get(ANNOTATION) or {}).values()):
            tally = self.tallies.setdefault(job_id, Tally())
            for key in tasks:
                if key in tally.keys:
                    continue
                tally.keys.add(key)
                self.owners.setdefault(key, set()).add(job_id)
                state = scheduler.tasks.get(key)
                if state is not None and state.state == "memory":  # computed earlier, for another graph
                    tally.done.add(key)
                    tally.hold(key, max(state.nbytes, 0))

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        jobs = self.owners.get(key)
        if not jobs:
            return
        seconds = 0.0
        if start == "processing" and finish in ("memory", "erred"):
            seconds = sum(
                part["stop"] - part["start"]
                for part in kwargs.get("startstops") or ()
                if part.get("action") == "compute"
            )
        nbytes = kwargs.get("nbytes")
        if finish == "memory" and nbytes is None and self.scheduler is not None:
            state = self.scheduler.tasks.get(key)
            nbytes = state.nbytes if state is not None else 0
        for job_id in jobs:
            tally = self.tallies.get(job_id)
            if tally is None:
                continue
            tally.task_seconds += seconds
            if finish in ("memory", "erred"):
                tally.done.add(key)
            if finish == "memory":
                tally.hold(key, max(int(nbytes or 0), 0))
            elif start == "memory":
                tally.release(key)

    def snapshot(self, job_id: str) -> dict[str, float] | None:
        tally = self.tallies.get(job_id)
        return tally.figures(final=False) if tally is not None else None

    def collect(self, job_id: str) -> dict[str, float] | None:
        tally = self.tallies.pop(job_id, None)
        if tally is None:
            return None
        for key in tally.keys:
            owners = self.owners.get(key)
            if owners is not None:
                owners.discard(job_id)
                if not owners:
                    del self.owners[key]
        return tally.figures()


def install(client: Any) -> None:
    """Register the meter on the scheduler of ``client`` (once; later calls keep the first)."""
    try:
        client.register_plugin(JobMeter(), name=PLUGIN_NAME)
    except Exception:  # e.g. a remote scheduler without openeo-gip installed: jobs run, unmetered
        log.warning("could not install the job meter on the Dask scheduler", exc_info=True)


def _on_scheduler(dask_scheduler: Any, job_id: str, remove: bool) -> dict[str, float] | None:
    meter = dask_scheduler.plugins.get(PLUGIN_NAME)
    if meter is None:
        return None
    return meter.collect(job_id) if remove else meter.snapshot(job_id)


def snapshot(client: Any, job_id: str) -> dict[str, float] | None:
    """The figures of ``job_id`` so far; ``None`` when the scheduler has no meter or no task of the job."""
    scheduler = getattr(getattr(client, "cluster", None), "scheduler", None)
    if scheduler is not None and hasattr(scheduler, "plugins"):
        # A scheduler in this process (the local cluster): read it directly, without a log line per look.
        return _on_scheduler(scheduler, job_id, remove=False)
    try:
        return client.run_on_scheduler(_on_scheduler, job_id=job_id, remove=False)
    except Exception:  # progress is worth no failure: the caller falls back to counting output chunks
        log.debug("could not read the progress of job %s from the scheduler", job_id, exc_info=True)
        return None


def collect(client: Any, job_id: str) -> dict[str, float] | None:
    """The final figures of ``job_id``, forgotten by the scheduler afterwards."""
    try:
        return client.run_on_scheduler(_on_scheduler, job_id=job_id, remove=True)
    except Exception:
        log.warning("could not read the usage of job %s from the scheduler", job_id, exc_info=True)
        return None
