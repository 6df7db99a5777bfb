"""Batch-job tests: a server with a small synthetic Sentinel-2 collection, fast job polling, and helpers."""

from __future__ import annotations

import time

import pytest
import requests

from openeo_gip.demodata import synthetic
from tests.conftest import add_user, bearer_for, make_config

JOB_SETTINGS = {"poll_seconds": 0.2, "runner_threads": 2, "max_running": 4, "max_running_per_user": 2}
# In-process workers pause at 80 % of the limit measured on the whole pytest process: room for it.
DASK_SETTINGS = {"n_workers": 1, "threads_per_worker": 2, "memory_limit": "6GiB"}


@pytest.fixture
def s2(tmp_path) -> synthetic.Sentinel2Demo:
    """32 x 32 pixels, 2 dates, under the data root of the test config."""
    return synthetic.write_sentinel2_demo(tmp_path / "data" / "S2", size=32, dates=2, blocksize=16)


@pytest.fixture
def config(request, tmp_path, db_url, s2):
    """The jobs' test config; tests change sections with ``parametrize("config", [...], indirect=True)``."""
    sections = {"jobs": JOB_SETTINGS, "dask": DASK_SETTINGS}
    for section, values in getattr(request, "param", {}).items():
        sections[section] = {**sections.get(section, {}), **values}
    return make_config(tmp_path, db_url, **sections)


@pytest.fixture(autouse=True)
def _stop_job_runner(app):
    yield
    runner = app.extensions["openeo_gip"].jobs
    if runner is not None:
        runner.stop()


@pytest.fixture
def bob(app):
    return add_user(app, "bob")


@pytest.fixture
def alice_headers(server, alice) -> dict[str, str]:
    return bearer_for(server.url, "alice")


def load_graph(save_format: str = "GTiff", bands=("B04", "B08")) -> dict:
    """load_collection(S2, bands) -> save_result(format)."""
    return {
        "process_graph": {
            "load": {
                "process_id": "load_collection",
                "arguments": {
                    "id": "S2",
                    "spatial_extent": None,
                    "temporal_extent": None,
                    "bands": list(bands),
                },
            },
            "save": {
                "process_id": "save_result",
                "arguments": {"data": {"from_node": "load"}, "format": save_format},
                "result": True,
            },
        }
    }


def create_job(url: str, headers: dict, process: dict | None = None, **fields) -> str:
    body = {"process": process or load_graph(), **fields}
    response = requests.post(f"{url}/jobs", json=body, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    return response.headers["OpenEO-Identifier"]


def wait_for(
    url: str, headers: dict, job_id: str, statuses=("finished", "error", "canceled"), timeout=60
) -> dict:
    """Poll ``GET /jobs/{id}`` until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        job = requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30).json()
        if job["status"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")
        time.sleep(0.1)
