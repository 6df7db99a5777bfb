"""The Dask cluster results are computed on: started on first use, closed with the server.

With ``dask.scheduler_address`` set, the server connects to that scheduler (more machines over SSH,
SLURM through dask-jobqueue, Kubernetes); otherwise it starts a ``LocalCluster`` in its own process,
sized by ``dask.n_workers``, ``dask.threads_per_worker`` and ``dask.memory_limit``.

The local cluster serves no HTTP unless ``dask.dashboard_address`` is set: Dask's dashboard (and the JSON
and metrics pages its scheduler serves even when the dashboard is turned off) shows every user's tasks to
anyone who can reach the port, on all network interfaces.
"""

from __future__ import annotations

import gc
import logging
import threading

import dask
from distributed import Client, LocalCluster

from openeo_gip.config import DaskConfig

log = logging.getLogger(__name__)


# Timers of the local cluster that wake the server's event loop while it is idle (2.8 % of a core with
# distributed's defaults; 0.4-0.5 % with these): the check for a blocked loop ran every 20 ms, the worker's
# profiler sampled every thread's stack every 10 ms (holding the GIL, also while computing; nothing reads
# the profiles without a dashboard), the system monitor read psutil every 0.5 s and the memory monitor
# every 0.1 s (spilling above the spill fraction now reacts within 0.5 s).
_QUIET = {
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
    "distributed.admin.tick.cycle": "10s",
    # The active memory manager drops surplus copies of results between workers every 2 s; the workers
    # here share one process, and a request's results are released when it is written.
    "distributed.scheduler.active-memory-manager.start": False,
}


class DaskCluster:
    def __init__(self, config: DaskConfig):
        self._config = config
        self._lock = threading.Lock()
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None

    @property
    def started(self) -> bool:
        return self._client is not None

    def client(self) -> Client:
        """The client (started now if this is the first use). It is also dask's default scheduler, so any
        ``.compute()`` in the server runs on the cluster."""
        with self._lock:
            if self._client is None:
                self._client = self._start()
            return self._client

    def _start(self) -> Client:
        config = self._config
        if config.scheduler_address:
            log.info("connecting to the Dask scheduler at %s", config.scheduler_address)
            return Client(config.scheduler_address, set_as_default=True)
        # Threads in this process: the synchronous results are written here, so there is nothing to
        # pickle or to copy between processes, and GDAL and numpy release the GIL while they work.
        options = {
            "n_workers": config.n_workers,
            "threads_per_worker": config.threads_per_worker,
            "memory_limit": config.memory_limit,
            "processes": False,
        }
        # A worker in this process measures the whole server (its imports, caches, requests) against its
        # limit: it must not pause (it would never resume, and every request would hang) nor try to
        # terminate itself. It still spills its results to disk above the limit's spill fraction.
        in_process = {"distributed.worker.memory.pause": False, "distributed.worker.memory.terminate": False}
        with dask.config.set({**in_process, **_QUIET}):
            if config.dashboard_address:
                self._cluster = LocalCluster(dashboard_address=config.dashboard_address, **options)
                # The workers' metrics pages, which the dashboard does not need, listen on all interfaces.
                _close_http(self._cluster, self._cluster.workers.values())
                log.warning("the Dask dashboard at %s shows every user's tasks", config.dashboard_address)
            else:
                self._cluster = _cluster_without_http(options)
            _stop_unused_checks(self._cluster)
        log.info(
            "started a local Dask cluster: %d worker(s) x %d thread(s), %s each",
            config.n_workers,
            config.threads_per_worker,
            config.memory_limit,
        )
        client = Client(self._cluster, set_as_default=True)
        freeze_heap()
        return client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None


def freeze_heap() -> None:
    """Leave the objects alive now (modules, the app, the cluster) out of later garbage collections: a
    request builds large task graphs, and each full collection they trigger would otherwise walk the whole
    long-lived heap (up to 0.4 s, inside a request's time)."""
    gc.collect()
    gc.freeze()


def _cluster_without_http(options: dict) -> LocalCluster:
    """A ``LocalCluster`` whose scheduler and workers listen to no HTTP port. Distributed starts an HTTP
    server even with ``dashboard_address=None`` (port 8787, all interfaces, JSON pages of every task):
    here it starts with no pages, on loopback, and is closed at once."""
    no_routes = {"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}
    with dask.config.set(no_routes):
        cluster = LocalCluster(dashboard_address="127.0.0.1:0", **options)
    _close_http(cluster, [cluster.scheduler, *cluster.workers.values()])
    cluster.scheduler_info.get("services", {}).pop("dashboard", None)  # no dead link in reprs
    return cluster


def _stop_unused_checks(cluster: LocalCluster) -> None:
    """Stop the scheduler's checks for an idle timeout and for tasks without workers when neither timeout
    is set (the default): they do nothing then, but wake the idle server eight times a second."""

    async def stop() -> None:
        scheduler = cluster.scheduler
        unset = {"idle-timeout": scheduler.idle_timeout, "no-workers-timeout": scheduler.no_workers_timeout}
        for name, timeout in unset.items():
            if timeout is None and name in scheduler.periodic_callbacks:
                scheduler.periodic_callbacks[name].stop()

    cluster.sync(stop)


def _close_http(cluster: LocalCluster, nodes) -> None:
    """Stop the HTTP servers of ``nodes``, on the cluster's event loop (tornado is not thread-safe)."""

    async def stop() -> None:
        for node in nodes:
            server = getattr(node, "http_server", None)
            if server is not None:
                server.stop()
            node.services.pop("dashboard", None)

    cluster.sync(stop)
