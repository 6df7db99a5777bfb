"""A real ``openeo-gip serve`` process killed in the middle of a job loses nothing: after a restart on the
same database and data, the interrupted job runs again (once) and the queued one after it, both with the
right values. A graceful stop (SIGTERM) queues the running job again without counting an attempt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
import requests

from openeo_gip.db import Database
from openeo_gip.db.models import Job
from tests.conftest import free_port, make_config, write_config_file
from tests.jobs.conftest import create_job, wait_for
from tests.jobs.slow_graph import CHUNK_PIXELS, expected_mean, mean_over_time_graph, write_many_dates

pytestmark = [pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True), pytest.mark.slow]

PASSWORD = "secret"


@pytest.fixture
def s2(tmp_path):
    return write_many_dates(tmp_path / "data" / "S2")


@pytest.fixture
def config(tmp_path, db_url, s2):
    """The in-process app of the shared fixtures must run no jobs: only the server processes do."""
    return make_config(tmp_path, db_url, jobs={"runner_threads": 0})


@pytest.fixture
def config_file(tmp_path: Path, db_url: str, s2) -> Path:
    # One runner thread and one running job at most: the second job waits in the queue. The watcher
    # reports progress every 0.5 s (stale_seconds / 4).
    jobs = {"runner_threads": 1, "max_running": 1, "max_running_per_user": 1}
    jobs |= {"poll_seconds": 0.2, "stale_seconds": 2.0}
    dask = {"n_workers": 1, "threads_per_worker": 1, "memory_limit": "1GiB", "chunk_pixels": CHUNK_PIXELS}
    path = write_config_file(make_config(tmp_path, db_url, jobs=jobs, dask=dask), tmp_path / "server.toml")
    command = [sys.executable, "-m", "openeo_gip.cli", "--config", str(path), "user", "add", "ann"]
    subprocess.run(command + ["--password-stdin"], input=f"{PASSWORD}\n", text=True, check=True, timeout=120)
    return path


def _serve(config_file: Path, port: int, log_path: Path) -> subprocess.Popen:
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "openeo_gip.cli",
        "--config",
        str(config_file),
        "serve",
        "--port",
        str(port),
    ]
    environment = {**os.environ, "OPENEO_GIP_SERVER__PUBLIC_URL": url}
    with log_path.open("a") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(url + "/", timeout=1)
            return process
        except requests.ConnectionError:
            assert process.poll() is None, servers.log_path.read_text()
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.2)


def _row(db: Database, job_id: str) -> Job:
    with db.session() as session:
        return session.get(Job, job_id)


def _wait_until_computing(db: Database, job_id: str, server: subprocess.Popen) -> None:
    """Until the job runs and has finished some of its tasks (the watcher stored a progress over 0)."""
    deadline = time.monotonic() + 120
    while True:
        job = _row(db, job_id)
        assert job.status in ("queued", "running") and server.poll() is None, job.status
        if job.status == "running" and job.progress > 0:
            return
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.05)


def _messages(url: str, headers: dict, job_id: str) -> list[str]:
    logs = requests.get(f"{url}/jobs/{job_id}/logs", headers=headers, timeout=30).json()["logs"]
    return [entry["message"] for entry in logs]


def _assert_right_values(url: str, headers: dict, job_id: str, s2) -> None:
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    (asset,) = stac["assets"].values()
    with rasterio.open(asset["href"]) as tif:
        np.testing.assert_allclose(tif.read(), expected_mean(s2), rtol=1e-5)


class Servers:
    """``openeo-gip serve`` processes started one after the other on the same port and log file."""

    def __init__(self, config_file: Path, log_path: Path):
        self.config_file, self.log_path, self.port = config_file, log_path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        self.started.append(_serve(self.config_file, self.port, self.log_path))
        return self.started[-1]

    def headers(self) -> dict[str, str]:
        token = requests.get(f"{self.url}/credentials/basic", auth=("ann", PASSWORD), timeout=30).json()
        return {"Authorization": f"Bearer basic//{token['access_token']}"}


@pytest.fixture
def servers(config_file, tmp_path):
    servers = Servers(config_file, tmp_path / "server.log")
    yield servers
    for process in servers.started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def database(db_url):
    db = Database(db_url)
    yield db
    db.dispose()


def test_killed_server_resumes_its_jobs_after_a_restart(servers, database, s2):
    url, db = servers.url, database
    first = servers.start()
    headers = servers.headers()
    running, waiting = (create_job(url, headers, mean_over_time_graph()) for _ in range(2))
    for job_id in (running, waiting):
        assert requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).status_code == 202
    _wait_until_computing(db, running, first)

    first.send_signal(signal.SIGKILL)
    first.wait(30)
    interrupted, queued = _row(db, running), _row(db, waiting)
    assert interrupted.status == "running" and 0 < interrupted.progress < 100
    assert queued.status == "queued" and queued.attempts == 0

    second = servers.start()
    for job_id in (running, waiting):
        assert wait_for(url, headers, job_id, timeout=180)["status"] == "finished"
        _assert_right_values(url, headers, job_id, s2)
    assert _row(db, running).attempts == 2 and _row(db, waiting).attempts == 1
    assert str(second.pid) in _row(db, running).worker.split(":")
    messages = _messages(url, headers, running)
    assert "The server running this job stopped; the job was queued again." in messages
    assert [m for m in messages if m.startswith("Started")] == [
        "Started (attempt 1).",
        "Started (attempt 2).",
    ]
    assert [m for m in _messages(url, headers, waiting) if m.startswith("Started")] == [
        "Started (attempt 1)."
    ]


def test_sigterm_queues_the_running_job_for_the_next_start(servers, database, s2):
    url, db = servers.url, database
    first = servers.start()
    headers = servers.headers()
    job_id = create_job(url, headers, mean_over_time_graph())
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    _wait_until_computing(db, job_id, first)

    first.send_signal(signal.SIGTERM)
    assert first.wait(60) == 0, servers.log_path.read_text()
    stopped = _row(db, job_id)
    assert stopped.status == "queued" and stopped.attempts == 0 and stopped.worker is None

    servers.start()
    assert wait_for(url, headers, job_id, timeout=180)["status"] == "finished"
    _assert_right_values(url, headers, job_id, s2)
    assert _row(db, job_id).attempts == 1  # a graceful stop does not use up the job's second start
    messages = _messages(url, headers, job_id)
    assert "The server stopped; the job was queued again." in messages
    assert "Traceback" not in servers.log_path.read_text()
