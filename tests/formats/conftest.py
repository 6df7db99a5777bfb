"""One Dask cluster for all format tests: the writers compute through it as the server does."""

from __future__ import annotations

import pytest

from openeo_gip.config import DaskConfig
from openeo_gip.engine.cluster import DaskCluster


@pytest.fixture(scope="session")
def dask_client():
    cluster = DaskCluster(DaskConfig(n_workers=1, threads_per_worker=2, memory_limit="1GiB"))
    yield cluster.client()
    cluster.close()
