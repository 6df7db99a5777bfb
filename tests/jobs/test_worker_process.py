"""``openeo-gip worker`` processes run the jobs a server (without runner threads) queues, on one database;
a worker killed with SIGKILL loses nothing: a new worker finishes its jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from openeo_gip.db.models import Job
from tests.conftest import bearer_for, make_config, write_config_file
from tests.jobs.conftest import DASK_SETTINGS, create_job, wait_for

pytestmark = [pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True), pytest.mark.slow]


@pytest.fixture
def config(tmp_path, db_url, s2):
    settings = {"runner_threads": 0, "poll_seconds": 0.2, "max_running": 3, "max_running_per_user": 2}
    return make_config(tmp_path, db_url, jobs=settings, dask=DASK_SETTINGS)


def _start_worker(config_path: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "openeo_gip.cli",
        "--config",
        str(config_path),
        "worker",
        "--threads",
        "2",
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_worker_processes_share_the_queue(server, app, alice, bob, config, tmp_path):
    assert app.extensions["openeo_gip"].jobs is None  # the server itself runs nothing
    url = server.url
    headers = {"alice": bearer_for(url, "alice"), "bob": bearer_for(url, "bob")}
    config_path = write_config_file(config, tmp_path / "worker.toml")
    jobs = []
    for number in range(8):
        name = "alice" if number % 2 else "bob"
        job_id = create_job(url, headers[name])
        requests.post(f"{url}/jobs/{job_id}/results", headers=headers[name], timeout=30)
        jobs.append((name, job_id))

    first = _start_worker(config_path)
    try:
        # Kill the first worker as soon as it has finished one job, likely in the middle of others.
        deadline = time.monotonic() + 120
        db = app.extensions["openeo_gip"].db
        while True:
            with db.session() as session:
                finished = session.scalars(select(Job.id).where(Job.status == "finished")).all()
            if finished:
                break
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
        second = _start_worker(config_path)
        try:
            for name, job_id in jobs:
                assert wait_for(url, headers[name], job_id, timeout=120)["status"] == "finished"
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(60) == 0
    finally:
        if first.poll() is None:
            first.kill()
    with db.session() as session:
        rows = session.execute(select(Job.worker, Job.attempts)).all()
    workers = {worker.split(":")[1] for worker, _ in rows}
    assert workers <= {str(first.pid), str(second.pid)} and str(second.pid) in workers
    assert all(attempts in (1, 2) for _, attempts in rows)
    # Every result is complete: two files, each readable.
    for name, job_id in jobs:
        stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers[name], timeout=30).json()
        assert len(stac["assets"]) == 2
