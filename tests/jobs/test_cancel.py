"""Canceling a running job stops its Dask computation; stopping the server puts running jobs back in line.

The test keeps the cluster's two threads busy with tasks that wait for an event, so the job is caught
running with its own tasks still waiting on the scheduler.
"""

from __future__ import annotations

import threading
import time

import requests

from tests.jobs.conftest import create_job, wait_for

RELEASE = threading.Event()


def _block(number: int) -> int:
    RELEASE.wait(60)
    return number


def _scheduler_keys(dask_scheduler) -> list[str]:
    return [str(key) for key in dask_scheduler.tasks]


def _occupy(client) -> list:
    RELEASE.clear()
    return [client.submit(_block, number, pure=False) for number in range(2)]


def _wait_until_running(url, headers, job_id) -> None:
    deadline = time.monotonic() + 30
    while requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_cancel_stops_the_dask_tasks(server, app, alice_headers):
    url, headers = server.url, alice_headers
    client = app.extensions["openeo_gip"].cluster.client()
    blockers = _occupy(client)
    try:
        job_id = create_job(url, headers)
        requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
        _wait_until_running(url, headers, job_id)
        deadline = time.monotonic() + 30
        while len(client.run_on_scheduler(_scheduler_keys)) <= len(blockers):  # the job's tasks arrive
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert requests.delete(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).status_code == 204
        job = wait_for(url, headers, job_id, statuses=("canceled",))
        assert job["progress"] < 100
        deadline = time.monotonic() + 30
        blocker_keys = sorted(str(future.key) for future in blockers)
        while sorted(client.run_on_scheduler(_scheduler_keys)) != blocker_keys:
            assert time.monotonic() < deadline, client.run_on_scheduler(_scheduler_keys)
            time.sleep(0.05)
        runner = app.extensions["openeo_gip"].jobs
        deadline = time.monotonic() + 30
        while runner.running:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        logs = requests.get(f"{url}/jobs/{job_id}/logs", headers=headers, timeout=30).json()["logs"]
        assert logs[-1]["message"].startswith("Canceled")
        assert requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).status_code == 400
    finally:
        RELEASE.set()
        client.gather(blockers)


def test_stopping_the_runner_requeues_its_running_job(server, app, alice_headers):
    url, headers = server.url, alice_headers
    services = app.extensions["openeo_gip"]
    client = services.cluster.client()
    blockers = _occupy(client)
    try:
        job_id = create_job(url, headers)
        requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
        _wait_until_running(url, headers, job_id)
        services.jobs.stop()
        job = requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30).json()
        assert job["status"] == "queued"
        logs = requests.get(f"{url}/jobs/{job_id}/logs", headers=headers, timeout=30).json()["logs"]
        assert "queued again" in logs[-1]["message"]
    finally:
        RELEASE.set()
        client.gather(blockers)
    # A new runner (as after a restart) takes it and finishes it, on its first counted attempt.
    from openeo_gip.jobs.runner import JobRunner

    services.jobs = JobRunner(services)
    services.jobs.start()
    assert wait_for(url, headers, job_id)["status"] == "finished"
    from openeo_gip.db.models import Job

    with services.db.session() as session:
        assert session.get(Job, job_id).attempts == 1
