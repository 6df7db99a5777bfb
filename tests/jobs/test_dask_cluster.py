"""A job computed on an external Dask cluster: a real ``dask scheduler`` and two ``dask worker`` processes
on loopback, named in ``dask.scheduler_address``; the scheduler's task records show where the work ran."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
import requests

from tests.conftest import free_port, make_config
from tests.jobs.conftest import create_job, wait_for

# Starts a Dask scheduler and workers as processes.
pytestmark = pytest.mark.slow

DASK = str(Path(sys.executable).with_name("dask"))


@pytest.fixture
def external_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes; their scheduler address."""
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    log_file = (tmp_path / "dask.log").open("w")
    processes = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--dashboard-address", ":0"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the dask scheduler did not start"
                time.sleep(0.2)
        for number in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        DASK,
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--memory-limit",
                        "1GiB",
                        "--name",
                        f"w{number}",
                    ]
                    + ["--no-dashboard"],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            )
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        log_file.close()


@pytest.fixture
def config(tmp_path, db_url, s2, external_cluster):
    return make_config(
        tmp_path, db_url, jobs={"poll_seconds": 0.2}, dask={"scheduler_address": external_cluster}
    )


def test_job_runs_on_the_external_workers(server, app, alice_headers, s2):
    url, headers = server.url, alice_headers
    client = app.extensions["openeo_gip"].cluster.client()
    client.wait_for_workers(2, timeout=60)
    workers = set(client.scheduler_info()["workers"])
    assert len(workers) == 2
    client.get_task_stream()  # installs the scheduler's task recorder before the job starts
    started = time.time()

    job_id = create_job(url, headers)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    job = wait_for(url, headers, job_id, timeout=120)
    assert job["status"] == "finished"

    records = client.get_task_stream(start=started)
    assert records, "the scheduler recorded no task"
    used = {record["worker"] for record in records}
    assert used <= workers, (used, workers)
    # The job meter works on a remote scheduler too: its task time is what Dask's own task stream recorded
    # (only this job ran), and the rest of ``cpu`` is the runner thread's, at most the job's wall time.
    computed = sum(
        part["stop"] - part["start"]
        for record in records
        for part in record["startstops"]
        if part["action"] == "compute"
    )
    usage = job["usage"]
    assert usage["tasks"]["value"] == len(records)
    assert computed - 0.002 <= usage["cpu"]["value"] <= computed + usage["duration"]["value"]
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    for index, name in enumerate(sorted(stac["assets"])):
        content = requests.get(stac["assets"][name]["href"], timeout=30).content
        with rasterio.MemoryFile(content) as memory, memory.open() as tif:
            values = tif.read(1)
        expected = s2.array("B04", index).astype("float32")
        expected[expected == 0] = np.nan
        np.testing.assert_array_equal(values, expected)
