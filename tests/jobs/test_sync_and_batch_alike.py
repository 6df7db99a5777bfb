"""POST /result and batch jobs deliver alike: the same JSON without save_result, a file per save_result
with several (where a batch job writes a GeoTIFF per date, a synchronous answer is one GeoTIFF)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import requests

from tests.jobs.conftest import create_job, load_graph, wait_for
from tests.jobs.slow_graph import mean_over_time_graph


def _mean_over_time_without_save() -> dict:
    """load_collection(S2, B04) -> reduce_dimension(t, mean), and no save_result."""
    process = mean_over_time_graph()
    nodes = process["process_graph"]
    nodes["load"]["arguments"]["bands"] = ["B04"]
    del nodes["save"]
    nodes["mean"]["result"] = True
    return process


def test_sync_and_batch_deliver_the_same_json(server, alice_headers, s2):
    url, headers = server.url, alice_headers
    process = _mean_over_time_without_save()
    sync = requests.post(f"{url}/result", json={"process": process}, headers=headers, timeout=60)
    assert sync.status_code == 200, sync.text
    assert sync.headers["Content-Type"].startswith("application/json")
    document = sync.json()
    assert document["type"] == "datacube" and document["dimensions"] == ["bands", "y", "x"]
    stack = np.stack([s2.array("B04", index).astype("float64") for index in range(len(s2.dates))])
    stack[stack == 0] = np.nan  # nodata
    expected = np.nanmean(stack, axis=0)
    np.testing.assert_allclose(np.array(document["data"], dtype=float)[0], expected, rtol=1e-5)

    job_id = create_job(url, headers, process)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    assert list(stac["assets"]) == ["result.json"]
    asset = stac["assets"]["result.json"]
    assert asset["type"] == "application/json"
    assert requests.get(asset["href"], timeout=30).json() == document


def test_several_results_are_a_zip_of_a_file_each_or_the_job_files(server, alice_headers, s2):
    url, headers = server.url, alice_headers
    process = load_graph("GTiff", bands=("B04",))  # one GeoTIFF per date in a batch job
    nodes = process["process_graph"]
    nodes["save"].pop("result")
    nodes["again"] = {
        "process_id": "save_result",
        "arguments": {"data": {"from_node": "load"}, "format": "netCDF"},
        "result": True,
    }
    expected = [f"part-1/result_{day:%Y-%m-%d}.tif" for day in s2.dates] + ["part-2/result.nc"]

    sync = requests.post(f"{url}/result", json={"process": process}, headers=headers, timeout=60)
    assert sync.status_code == 200, sync.text
    assert sync.headers["Content-Type"] == "application/zip"
    assert "filename=result.zip" in sync.headers["Content-Disposition"]
    assert sorted(zipfile.ZipFile(io.BytesIO(sync.content)).namelist()) == [
        "part-1/result.tif",
        "part-2/result.nc",
    ]

    job_id = create_job(url, headers, process)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    assert sorted(stac["assets"]) == sorted(expected)
