"""``openeo-gip worker``: a process that only runs batch jobs, sharing the database with the servers."""

from __future__ import annotations

import logging
import signal
import threading

from openeo_gip.config import Config
from openeo_gip.runtime import build_services

log = logging.getLogger(__name__)


def run_worker(config: Config, threads: int | None = None, stop: threading.Event | None = None) -> None:
    """Run jobs with ``threads`` runner threads (default: jobs.runner_threads, at least 1) until SIGTERM,
    Ctrl-C or ``stop``; running jobs then go back to the queue."""
    stop = stop or threading.Event()
    services = build_services(
        config, serve_logins=False, runner_threads=max(1, threads or config.jobs.runner_threads)
    )
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    services.jobs.start()
    log.info("worker %s waiting for jobs", services.jobs.worker_id)
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        log.info("worker stopping")
        services.close()
