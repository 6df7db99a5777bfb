"""``openeo-gip worker``: a process that only runs batch jobs, sharing the database with the servers."""

from __future__ import annotations

import logging
import signal
import threading

from openeo_gip.config import Config

log = logging.getLogger(__name__)


def run_worker(config: Config, threads: int | None = None, stop: threading.Event | None = None) -> None:
    """Run jobs with ``threads`` runner threads (default: jobs.runner_threads, at least 1) until SIGTERM,
    Ctrl-C or ``stop``; running jobs then go back to the queue."""
    from openeo_gip.app import Services
    from openeo_gip.catalog.index import Catalog
    from openeo_gip.db import Database
    from openeo_gip.engine.cluster import DaskCluster
    from openeo_gip.jobs.runner import JobRunner

    stop = stop or threading.Event()
    db = Database(config.database.url)
    db.upgrade()
    services = Services(
        config=config,
        db=db,
        oidc=None,
        cluster=DaskCluster(config.dask),
        catalog=Catalog.from_config(config),
    )
    services.jobs = JobRunner(services, threads=max(1, threads or config.jobs.runner_threads))
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
        services.jobs.stop()
        services.cluster.close()
        db.dispose()
