"""The pool that runs batch jobs: a few threads claiming queued jobs, and one keeping watch.

It runs inside the server (``jobs.runner_threads``) and in ``openeo-gip worker`` processes. Idle threads
sleep on an event, woken at once by jobs queued in this process and every ``jobs.poll_seconds`` to look for
jobs queued by others. The watcher reports each running job's progress and liveness (its heartbeat), notices
jobs canceled or deleted through another process, and requeues jobs whose worker stopped.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from openeo_gip.db import accounts
from openeo_gip.db.models import Job, utcnow
from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError, internal_error
from openeo_gip.jobs import job_folder, metering
from openeo_gip.jobs.assets import describe_results
from openeo_gip.jobs.progress import job_watch
from openeo_gip.jobs.queue import Limits, beat, claim_next, new_worker_id, recover_orphans, requeue
from openeo_gip.jobs.result_copies import copy_job_results
from openeo_gip.jobs.store import JobLogger, set_status, write_log
from openeo_gip.model.values import ProcessContext
from openeo_gip.results.compute import Canceled
from openeo_gip.results.pipeline import planned_results, write_results
from openeo_gip.workspace import hide_server_paths

log = logging.getLogger(__name__)


@dataclass
class _Active:
    """A job this runner is computing right now."""

    user_id: str
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: float = 0.0

    def advance(self, fraction: float) -> None:
        """Progress only grows: a graph submitted later (the writer's) adds tasks, not work undone."""
        self.progress = max(self.progress, min(100.0, 100.0 * fraction))


class JobRunner:
    def __init__(self, services: Any, threads: int | None = None):
        self.services = services
        self.config = services.config
        self.threads = self.config.jobs.runner_threads if threads is None else threads
        self.worker_id = new_worker_id()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._active: dict[str, _Active] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._last_recovery = time.monotonic()
        self._metered: Any = None  # the Dask client the job meter was installed through

    # -- control ----------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._threads or self.threads < 1:
            return
        try:
            recover_orphans(self.services.db, self.config.jobs.stale_seconds)
        except Exception:  # the watcher tries again later; a server must start even so
            log.warning("could not look for interrupted jobs", exc_info=True)
        # The threads hold the runner only weakly: a runner (and app) nobody uses any more is collected
        # and its threads end by themselves, even if ``stop`` was never called.
        me = weakref.ref(self)
        for number in range(self.threads):
            thread = threading.Thread(
                target=_work_loop,
                args=(me, self._wake, self._stopping, 1 if number == 0 else 10),
                name=f"job-runner-{number}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        interval = min(5.0, self.config.jobs.stale_seconds / 4)
        watcher = threading.Thread(
            target=_watch_loop, args=(me, self._stopping, interval), name="job-watcher", daemon=True
        )
        watcher.start()
        self._threads.append(watcher)
        log.info("job runner %s started with %d thread(s)", self.worker_id, self.threads)

    def notify(self) -> None:
        """A job was queued: an idle thread looks at once instead of at its next poll."""
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        """Stop the computation of ``job_id`` if it runs here (the caller has changed its status)."""
        with self._lock:
            active = self._active.get(job_id)
        if active is not None:
            active.cancel.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking jobs; jobs running here are stopped and queued again for the next start."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            for active in self._active.values():
                active.cancel.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    @property
    def running(self) -> list[str]:
        with self._lock:
            return list(self._active)

    # -- threads ----------------------------------------------------------------------------------------

    def _work_once(self) -> bool:
        """Claim and run one job; False when there was none to take."""
        jobs = self.config.jobs
        try:
            job = claim_next(
                self.services.db, self.worker_id, Limits(jobs.max_running, jobs.max_running_per_user)
            )
        except Exception:
            log.warning("could not look for queued jobs", exc_info=True)
            return False
        if job is None:
            return False
        self._wake.set()  # there may be more: let a sleeping thread look too
        self._run(job)
        # A finished job frees a place under the limits: let the other threads look again.
        self._wake.set()
        return True

    def _watch_once(self) -> None:
        stale = self.config.jobs.stale_seconds
        try:
            self._beat()
            if time.monotonic() - self._last_recovery > stale / 2:
                self._last_recovery = time.monotonic()
                if recover_orphans(self.services.db, stale):
                    self._wake.set()
        except Exception:
            log.warning("job watcher could not reach the database", exc_info=True)

    def _beat(self) -> None:
        with self._lock:
            active = dict(self._active)
        for job_id, state in active.items():
            if not beat(self.services.db, job_id, self.worker_id, round(state.progress, 1)):
                state.cancel.set()  # canceled or deleted through another process

    # -- one job ----------------------------------------------------------------------------------------

    def _run(self, job: Job) -> None:
        db = self.services.db
        state = _Active(user_id=job.user_id)
        with self._lock:
            self._active[job.id] = state
            if self._stopping.is_set():  # stop() ran between the claim and now: it could not see this job
                state.cancel.set()
        logger = JobLogger(
            db, job.id, job.log_level, lambda text: hide_server_paths(text, self.config, job.user_id)
        )
        folder = job_folder(self.config, job.user_id, job.id)
        shutil.rmtree(folder, ignore_errors=True)  # results of an earlier run of this job
        started = time.monotonic()
        stats: dict[str, float] = {}
        logger.info(f"Started (attempt {job.attempts}).")
        client = None
        try:
            user = accounts.get_user(db, job.user_id)
            context = ProcessContext(services=self.services, user=user, log=logger, job_id=job.id)
            cluster = getattr(self.services, "cluster", None)
            client = cluster.client() if cluster is not None else None
            if client is not None and client is not self._metered:
                metering.install(client)  # counts each job's tasks (jobs/metering.py); once per client
                self._metered = client
            thread_started = time.thread_time()
            try:
                processes = self.services.processes_for(job.user_id)
                value = run_process(job.process, context, processes=processes)
                requests = planned_results(value, context)
                watch = job_watch(client, job.id, len(requests), state.cancel.is_set, state.advance)
                written = write_results(requests, folder, client, watch)
                paths, stats["bytes"] = written.files, written.computed_bytes
            finally:
                stats["thread_seconds"] = time.thread_time() - thread_started
                if client is not None:
                    stats |= metering.collect(client, job.id) or {}
            # Before the status says "finished", so a client seeing it also finds the copies in /files.
            copy_job_results(self.config, job.user_id, job.id, folder, paths, context.exports, logger)
            assets = describe_results(paths, folder)
            usage = _usage(time.monotonic() - started, assets[: len(paths)], stats)  # not the thumbnails
            if set_status(
                db,
                job.id,
                "finished",
                expected=("running",),
                by_worker=self.worker_id,
                progress=100.0,
                finished=utcnow(),
                results=assets,
                usage=usage,
            ):
                logger.info(f"Finished: {len(paths)} file(s) in {usage['duration']['value']:.1f} s.")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        except Canceled:
            self._after_cancel(job, folder)
        except Exception as error:
            failure = error if isinstance(error, ApiError) else internal_error(log, f"Job {job.id}", error)
            self._fail(job, logger, failure.message, failure.code, started, state, stats)
        finally:
            with self._lock:
                self._active.pop(job.id, None)

    def _fail(
        self, job: Job, logger: JobLogger, message: str, code: str, started: float, state, stats: dict
    ) -> None:
        logger.error(message, extra={"code": code})
        set_status(
            self.services.db,
            job.id,
            "error",
            expected=("running",),
            by_worker=self.worker_id,
            progress=round(state.progress, 1),
            finished=utcnow(),
            usage=_usage(time.monotonic() - started, [], stats),
        )

    def _after_cancel(self, job: Job, folder) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        db = self.services.db
        if self._stopping.is_set():
            # The server is shutting down: the job goes back to the queue and keeps its attempt.
            if requeue(db, job.id, self.worker_id):
                write_log(db, job.id, "info", "The server stopped; the job was queued again.")
            return
        write_log(db, job.id, "info", "Canceled; its computation was stopped.")


def _work_loop(
    runner_ref: weakref.ref, wake: threading.Event, stopping: threading.Event, slower: int
) -> None:
    """One runner thread. Only the first polls every ``poll_seconds`` (``slower`` is 1); the others mostly
    sleep until a queued or finished job wakes them, which keeps an idle server's database traffic small."""
    while not stopping.is_set():
        runner = runner_ref()
        if runner is None:
            return
        busy = runner._work_once()
        poll = runner.config.jobs.poll_seconds * slower
        del runner  # hold no reference while sleeping
        if not busy:
            wake.wait(poll)
            wake.clear()


def _watch_loop(runner_ref: weakref.ref, stopping: threading.Event, interval: float) -> None:
    while not stopping.wait(interval):
        runner = runner_ref()
        if runner is None:
            return
        runner._watch_once()
        del runner


def _usage(seconds: float, assets: list[dict], stats: dict[str, float]) -> dict:
    """The ``usage`` of a job; docs/jobs.md says what each figure means."""
    usage = {
        "duration": {"value": round(seconds, 3), "unit": "seconds"},
        "storage": {"value": sum(asset["file:size"] for asset in assets), "unit": "b"},
    }
    if "task_seconds" in stats:  # the job meter counted the cluster's part (jobs/metering.py)
        cpu = stats.get("thread_seconds", 0.0) + stats["task_seconds"]
        usage["cpu"] = {"value": round(cpu, 3), "unit": "cpu-seconds"}
        usage["memory"] = {"value": round(stats["byte_seconds"] / 1e6, 6), "unit": "mb-seconds"}
        usage["memory_peak"] = {"value": round(stats["peak_bytes"] / 1e6, 6), "unit": "mb"}
        usage["tasks"] = {"value": int(stats["tasks"]), "unit": "dask-tasks"}
    if stats.get("bytes"):
        usage["computed"] = {"value": stats["bytes"], "unit": "b"}
    return usage
