"""A batch job whose estimated results do not fit the owner's storage quota, or the server's limit for one
job, is refused when it is started, not accepted and left to fail (issue #15: a job estimated at 503 GB
ran against a quota of a few GB until it ran out of memory)."""

from __future__ import annotations

import pytest
import requests

from tests.jobs.conftest import create_job, load_graph, wait_for
from tests.support.server_process import assert_openeo_error

pytestmark = pytest.mark.slow

# load_graph() saves B04 and B08 of the 32 x 32 pixel, 2-date collection: 2 x 2 x 32 x 32 float32
# (reflectances, scaled).
FULL_BYTES = 2 * 2 * 32 * 32 * 4


def _estimate(server, headers, job_id: str) -> int:
    response = requests.get(f"{server.url}/jobs/{job_id}/estimate", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["size"]


def _start(server, headers, job_id: str) -> requests.Response:
    return requests.post(f"{server.url}/jobs/{job_id}/results", headers=headers, timeout=30)


def _status(server, headers, job_id: str) -> str:
    return requests.get(f"{server.url}/jobs/{job_id}", headers=headers, timeout=30).json()["status"]


@pytest.mark.parametrize("config", [{"quota": {"storage_bytes": FULL_BYTES - 1}}], indirect=True)
def test_a_job_larger_than_the_quota_is_refused_at_start(server, alice_headers):
    too_large = create_job(server.url, alice_headers, load_graph())
    assert _estimate(server, alice_headers, too_large) == FULL_BYTES
    body = assert_openeo_error(_start(server, alice_headers, too_large), 400, "StorageQuotaExceeded")
    assert f"{FULL_BYTES:,} bytes" in body["message"] and f"{FULL_BYTES - 1:,} bytes left" in body["message"]
    assert _status(server, alice_headers, too_large) == "created"

    # One band fits: the same server starts it and it finishes.
    fits = create_job(server.url, alice_headers, load_graph(bands=("B04",)))
    assert _estimate(server, alice_headers, fits) == FULL_BYTES // 2
    assert _start(server, alice_headers, fits).status_code == 202
    assert wait_for(server.url, alice_headers, fits)["status"] == "finished"


@pytest.mark.parametrize("config", [{"jobs": {"max_estimated_bytes": FULL_BYTES // 2}}], indirect=True)
def test_a_job_over_the_servers_limit_is_refused_at_start(server, alice_headers):
    too_large = create_job(server.url, alice_headers, load_graph())
    body = assert_openeo_error(_start(server, alice_headers, too_large), 400, "StorageQuotaExceeded")
    assert f"at most {FULL_BYTES // 2:,} bytes" in body["message"]
    assert _status(server, alice_headers, too_large) == "created"
    fits = create_job(server.url, alice_headers, load_graph(bands=("B08",)))
    assert _start(server, alice_headers, fits).status_code == 202
