"""The Dask cluster the server computes on."""

from __future__ import annotations

import dask.array as da
import numpy as np

from openeo_gip.config import DaskConfig
from openeo_gip.engine.cluster import DaskCluster


def test_cluster_starts_on_first_use_and_computes(dask_client):
    values = np.arange(100.0).reshape(10, 10)
    lazy = da.from_array(values, chunks=5).sum()
    assert dask_client.compute(lazy).result() == values.sum()
    workers = dask_client.scheduler_info()["workers"]
    assert len(workers) == 1 and next(iter(workers.values()))["nthreads"] == 2


def test_cluster_is_lazy_and_connects_to_an_external_scheduler(dask_client):
    unused = DaskCluster(DaskConfig())
    assert not unused.started
    unused.close()  # closing an unstarted cluster is harmless
    address = dask_client.scheduler.address
    remote = DaskCluster(DaskConfig(scheduler_address=address))
    try:
        client = remote.client()
        assert remote.started and client.scheduler.address == address
        assert client.submit(sum, [1, 2, 3]).result() == 6
    finally:
        remote.close()
    assert not remote.started
