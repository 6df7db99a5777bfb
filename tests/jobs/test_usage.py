"""Usage and progress of batch jobs come from the job's own Dask tasks, counted on the scheduler."""

from __future__ import annotations

import time
import types

import dask
import dask.array as da
import numpy as np
import pytest
import rasterio
import requests
from distributed import Client, LocalCluster, get_task_stream

from openeo_gip.engine.execute import run_process
from openeo_gip.jobs import metering
from openeo_gip.jobs.progress import job_watch
from openeo_gip.model.values import ProcessContext
from openeo_gip.results.pipeline import planned_results, write_results
from tests.conftest import make_config
from tests.jobs.conftest import create_job, wait_for
from tests.jobs.slow_graph import CHUNK_PIXELS, expected_mean, mean_over_time_graph, write_many_dates
from tests.support.catalogs import scan
from tests.support.openapi import assert_valid_response
from tests.support.processes import PREDEFINED

DASK_THREADS = 2


def test_usage_figures_are_measured_and_plausible(server, alice_headers, s2):
    url, headers = server.url, alice_headers
    job_id = create_job(url, headers)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    response = requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30)
    assert_valid_response(url, response)  # the extra figures fit the API's usage schema
    usage = response.json()["usage"]
    assert {name: figure["unit"] for name, figure in usage.items()} == {
        "cpu": "cpu-seconds",
        "duration": "seconds",
        "memory": "mb-seconds",
        "memory_peak": "mb",
        "storage": "b",
        "computed": "b",
        "tasks": "dask-tasks",
    }
    duration = usage["duration"]["value"]
    # Busy Dask threads plus the runner thread: more is impossible, nothing at all is a missed count.
    assert 0 < usage["cpu"]["value"] <= duration * (DASK_THREADS + 1)
    output_bytes = len(s2.dates) * 2 * 32 * 32 * 4  # the persisted float32 cube of 2 bands
    assert usage["computed"]["value"] == output_bytes
    assert usage["memory_peak"]["value"] * 1e6 >= output_bytes
    # The integral over time is at most the peak held during the whole run.
    assert 0 < usage["memory"]["value"] <= usage["memory_peak"]["value"] * duration
    # A read task per band at least (its two dates share one), and more for the steps after them.
    assert usage["tasks"]["value"] > 2
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    assert usage["storage"]["value"] == sum(asset["file:size"] for asset in stac["assets"].values())


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with Client(cluster, set_as_default=False) as client:
            metering.install(client)
            metering.install(client)  # a second install keeps the first meter and its tallies
            yield client


def _sleep_then(value: np.ndarray, seconds: float) -> np.ndarray:
    time.sleep(seconds)
    return value


def test_meter_counts_each_jobs_own_tasks(client):
    block = np.arange(1000, dtype="float64")
    slow = [dask.delayed(_sleep_then)(block + i, 0.2, dask_key_name=f"slow-{i}") for i in range(4)]
    fast = [dask.delayed(_sleep_then)(block - i, 0.0, dask_key_name=f"fast-{i}") for i in range(3)]
    with get_task_stream(client) as stream:  # Dask's own record of each task's compute time
        with metering.tagged("job-slow"):
            slow_futures = client.compute(slow)
        with metering.tagged("job-fast"):
            fast_futures = client.compute(fast)
        untagged = client.compute(da.ones(10, chunks=5).sum())  # belongs to no job
        results = client.gather([*slow_futures, *fast_futures])
        assert untagged.result() == 10
    np.testing.assert_array_equal(results[1], block + 1)

    during = metering.snapshot(client, "job-slow")
    assert during["tasks"] == during["done"] == 4
    slow_figures = metering.collect(client, "job-slow")
    fast_figures = metering.collect(client, "job-fast")
    assert slow_figures["tasks"] == 4 and fast_figures["tasks"] == 3
    assert slow_figures["task_seconds"] >= 0.8  # four sleeps of 0.2 s
    assert slow_figures["task_seconds"] == pytest.approx(_compute_seconds(stream, "slow-"))
    assert fast_figures["task_seconds"] == pytest.approx(_compute_seconds(stream, "fast-"))
    # All results are held until the end: 4 and 3 arrays of 8000 bytes.
    assert slow_figures["peak_bytes"] >= 4 * block.nbytes and fast_figures["peak_bytes"] >= 3 * block.nbytes
    assert slow_figures["peak_bytes"] < 4 * block.nbytes + 4000
    assert metering.collect(client, "job-slow") is None  # collected once, then forgotten


def _compute_seconds(stream, prefix: str) -> float:
    return sum(
        part["stop"] - part["start"]
        for task in stream.data
        if str(task["key"]).startswith(prefix)
        for part in task["startstops"]
        if part["action"] == "compute"
    )


def test_meter_counts_a_failing_task_as_done(client):
    def boom():
        raise ValueError("no")

    with metering.tagged("job-failing"):
        future = client.compute(dask.delayed(boom)(dask_key_name="boom"))
    with pytest.raises(ValueError):
        future.result()
    figures = metering.collect(client, "job-failing")
    assert figures["tasks"] == figures["done"] == 1 and figures["peak_bytes"] == 0


@pytest.mark.slow
class TestProgress:
    @pytest.fixture
    def s2(self, tmp_path):
        return write_many_dates(tmp_path / "data" / "S2")

    @pytest.fixture
    def config(self, tmp_path, db_url, s2):
        # One Dask thread makes the job take a few seconds; the watcher reports every 0.25 s.
        jobs = {"poll_seconds": 0.2, "runner_threads": 1, "stale_seconds": 1.0}
        dask_settings = {
            "n_workers": 1,
            "threads_per_worker": 1,
            "memory_limit": "6GiB",
            "chunk_pixels": CHUNK_PIXELS,
        }
        return make_config(tmp_path, db_url, jobs=jobs, dask=dask_settings)

    def test_progress_rises_through_intermediate_values(self, server, alice_headers, s2):
        url, headers = server.url, alice_headers
        job_id = create_job(url, headers, mean_over_time_graph())
        requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30).json()
            if job["status"] in ("finished", "error"):
                break
            if job["status"] == "running":
                seen.append(job["progress"])
            time.sleep(0.05)
        assert job["status"] == "finished" and job["progress"] == 100
        assert seen == sorted(seen), seen  # never decreasing
        assert [value for value in seen if 0 < value < 100], seen
        assert all(value < 100 for value in seen)  # 100 only once finished
        # Hundreds of tasks (every read and reduction step), far more than the one output chunk.
        assert job["usage"]["tasks"]["value"] >= 2 * len(s2.dates)

        stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
        (asset,) = stac["assets"].values()
        with rasterio.open(asset["href"]) as tif:
            np.testing.assert_allclose(tif.read(), expected_mean(s2), rtol=1e-5)


def test_each_saved_result_has_its_share_of_the_progress(client, s2, tmp_path):
    """Two save_result nodes: the first result's tasks move the progress up to one half only, however
    many tasks the job had before; the second takes it from there to just under 1."""
    nodes = mean_over_time_graph()["process_graph"]
    nodes["save"].pop("result")
    nodes["again"] = {
        "process_id": "save_result",
        "arguments": {"data": {"from_node": "load"}, "format": "netCDF"},
        "result": True,
    }
    catalog = scan(tmp_path / "data", tmp_path / "system")
    reported: list[float] = []
    context = ProcessContext(services=types.SimpleNamespace(catalog=catalog))
    with client.as_current():  # as the server's client is (set_as_default)
        requests_ = planned_results(
            run_process({"process_graph": nodes}, context, processes=PREDEFINED), context
        )
        watch = job_watch(client, "job-two-results", len(requests_), lambda: False, reported.append)
        written = write_results(requests_, tmp_path / "out", client, watch).files
    assert [path.parent.name for path in written] == ["part-1", "part-2"]
    halves = [value for value in reported if value <= 0.5], [value for value in reported if value > 0.5]
    assert halves[0] and halves[1] and reported == halves[0] + halves[1], reported  # first, then second
    assert max(halves[0]) == pytest.approx(0.495) and max(reported) == pytest.approx(0.995)
    metering.collect(client, "job-two-results")
