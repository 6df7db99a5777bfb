"""The Dask cluster results are computed on: started on first use, closed with the server.

With ``dask.scheduler_address`` set, the server connects to that scheduler (more machines over SSH,
SLURM through dask-jobqueue, Kubernetes); otherwise it starts a ``LocalCluster`` in its own process,
sized by ``dask.n_workers``, ``dask.threads_per_worker`` and ``dask.memory_limit``.
"""

from __future__ import annotations

import logging
import threading

from distributed import Client, LocalCluster

from openeo_gip.config import DaskConfig

log = logging.getLogger(__name__)


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
        self._cluster = LocalCluster(
            n_workers=config.n_workers,
            threads_per_worker=config.threads_per_worker,
            memory_limit=config.memory_limit,
            processes=False,
            dashboard_address=None,
        )
        log.info(
            "started a local Dask cluster: %d worker(s) x %d thread(s), %s each",
            config.n_workers,
            config.threads_per_worker,
            config.memory_limit,
        )
        return Client(self._cluster, set_as_default=True)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None
