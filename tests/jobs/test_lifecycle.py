"""The whole life of a batch job over HTTP, every response checked against the openEO API document."""

from __future__ import annotations

import math

import numpy as np
import rasterio
import requests

from tests.jobs.conftest import create_job, load_graph, wait_for
from tests.support.openapi import assert_valid_response


def test_create_describe_list_and_patch(server, alice_headers):
    url, headers = server.url, alice_headers
    job_id = create_job(
        url, headers, title="NDVI", description="first try", plan=None, budget=3, extra_thing=[1]
    )
    created = requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30)
    assert_valid_response(url, created)
    job = created.json()
    assert job["status"] == "created" and job["title"] == "NDVI" and job["budget"] == 3
    assert job["process"] == load_graph() and job["extra_thing"] == [1]  # unknown properties are kept
    assert job["log_level"] == "info"

    patched = requests.patch(
        f"{url}/jobs/{job_id}", json={"title": "NDVI 2", "log_level": "debug"}, headers=headers, timeout=30
    )
    assert patched.status_code == 204
    job = requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30).json()
    assert job["title"] == "NDVI 2" and job["log_level"] == "debug" and job["description"] == "first try"

    second = create_job(url, headers)
    page = requests.get(f"{url}/jobs?limit=1", headers=headers, timeout=30)
    assert_valid_response(url, page)
    assert [j["id"] for j in page.json()["jobs"]] == [second]  # newest first
    assert "process" not in page.json()["jobs"][0]
    next_page = requests.get(
        next(li["href"] for li in page.json()["links"] if li["rel"] == "next"), headers=headers
    )
    assert [j["id"] for j in next_page.json()["jobs"]] == [job_id]


def test_run_to_finished_with_results_logs_and_usage(server, alice_headers, s2):
    url, headers = server.url, alice_headers
    job_id = create_job(url, headers, log_level="debug")
    not_started = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert not_started.status_code == 400 and not_started.json()["code"] == "JobNotStarted"

    started = requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert started.status_code == 202
    assert_valid_response(url, started)
    job = wait_for(url, headers, job_id)
    assert job["status"] == "finished", job
    assert job["progress"] == 100
    assert job["usage"]["duration"]["value"] > 0 and job["usage"]["storage"]["value"] > 0

    response = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert response.status_code == 200
    assert_valid_response(url, response)
    assert response.headers["OpenEO-Costs"] == "0"
    stac = response.json()
    assert stac["openeo:status"] == "finished" and stac["type"] == "Collection"
    assert (
        sorted(stac["assets"]) == [f"result_{d:%Y-%m-%d}.tif" for d in s2.dates] or len(stac["assets"]) == 2
    )
    assert any(link["rel"] == "canonical" for link in stac["links"])
    west, south, east, north = stac["extent"]["spatial"]["bbox"][0]
    assert 2.0 < west < east < 5.0 and 50.0 < south < north < 52.0  # UTM 31N near the Belgian border

    for index, (name, asset) in enumerate(sorted(stac["assets"].items())):
        assert name == f"result_{s2.dates[index]:%Y-%m-%d}.tif" and asset["title"] == name
        assert asset["type"].startswith("image/tiff") and asset["roles"] == ["data"]
        assert asset["proj:code"] == "EPSG:32631" and asset["proj:shape"] == [32, 32]
        assert [band["name"] for band in asset["raster:bands"]] == ["B04", "B08"]
        download = requests.get(asset["href"], timeout=30)  # no Authorization header: the link is the key
        assert download.status_code == 200
        assert int(download.headers["Content-Length"]) == asset["file:size"]
        with rasterio.MemoryFile(download.content) as memory, memory.open() as tif:
            values = tif.read()
        for band_index, band in enumerate(["B04", "B08"]):
            expected = s2.array(band, index).astype("float32")
            expected[expected == 0] = np.nan
            np.testing.assert_array_equal(values[band_index], expected)

    logs = requests.get(f"{url}/jobs/{job_id}/logs", headers=headers, timeout=30)
    assert_valid_response(url, logs)
    messages = [entry["message"] for entry in logs.json()["logs"]]
    assert (
        messages[0] == "Queued." and messages[1].startswith("Started") and messages[-1].startswith("Finished")
    )
    first_id = logs.json()["logs"][0]["id"]
    later = requests.get(f"{url}/jobs/{job_id}/logs?offset={first_id}", headers=headers, timeout=30).json()
    assert [entry["message"] for entry in later["logs"]] == messages[1:]
    paged = requests.get(f"{url}/jobs/{job_id}/logs?limit=1", headers=headers, timeout=30).json()
    assert len(paged["logs"]) == 1 and paged["links"][0]["rel"] == "next"
    errors_only = requests.get(f"{url}/jobs/{job_id}/logs?level=error", headers=headers, timeout=30).json()
    assert errors_only["logs"] == [] and errors_only["level"] == "error"


def test_empty_log_paging_parameters_mean_from_the_start(server, alice_headers):
    """The JavaScript client sends offset= (empty) for the first page of a job's logs."""
    url, headers = server.url, alice_headers
    job_id = create_job(url, headers, log_level="debug")
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    whole = requests.get(f"{url}/jobs/{job_id}/logs", headers=headers, timeout=30).json()["logs"]
    assert len(whole) >= 2  # started, finished
    for query in ("offset=", "offset=&limit=", "limit="):
        response = requests.get(f"{url}/jobs/{job_id}/logs?{query}", headers=headers, timeout=30)
        assert response.status_code == 200, (query, response.text)
        assert response.json()["logs"] == whole, query


def test_paging_numbers_that_are_no_ascii_digits_or_too_large_are_clear(server, alice_headers):
    """ "²" passes str.isdigit() but not int(); 10**30 passes int() but no database takes it."""
    url, headers = server.url, alice_headers
    job_id = create_job(url, headers)
    for path in (f"/jobs/{job_id}/logs?offset=%C2%B2", "/jobs?limit=%C2%B2", "/jobs?offset=%C2%B2"):
        response = requests.get(url + path, headers=headers, timeout=30)
        assert response.status_code == 400 and response.json()["code"] == "ParameterInvalid", path
    beyond = f"{10**30}"
    for path in (f"/jobs/{job_id}/logs?offset={beyond}", f"/jobs?offset={beyond}", f"/jobs?limit={beyond}"):
        response = requests.get(url + path, headers=headers, timeout=30)
        assert response.status_code == 200, (path, response.text)
    listed = requests.get(f"{url}/jobs?offset={beyond}", headers=headers, timeout=30).json()["jobs"]
    logs = requests.get(f"{url}/jobs/{job_id}/logs?offset={beyond}", headers=headers, timeout=30).json()
    assert listed == [] and logs["logs"] == []


def test_range_requests_and_canonical_link(server, alice_headers):
    url, headers = server.url, alice_headers
    job_id = create_job(url, headers)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    asset = next(iter(stac["assets"].values()))
    whole = requests.get(asset["href"], timeout=30).content
    part = requests.get(asset["href"], headers={"Range": "bytes=10-19"}, timeout=30)
    assert part.status_code == 206 and part.content == whole[10:20]
    canonical = next(link["href"] for link in stac["links"] if link["rel"] == "canonical")
    again = requests.get(canonical, timeout=30)
    assert again.status_code == 200 and sorted(again.json()["assets"]) == sorted(stac["assets"])


def test_netcdf_result(server, alice_headers, s2, tmp_path):
    import xarray as xr

    url, headers = server.url, alice_headers
    job_id = create_job(url, headers, process=load_graph("netCDF", bands=("B08",)))
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    (asset,) = stac["assets"].values()
    assert asset["type"] == "application/x-netcdf"
    path = tmp_path / "result.nc"
    path.write_bytes(requests.get(asset["href"], timeout=30).content)
    with xr.open_dataset(path) as dataset:
        values = dataset["B08"].transpose("t", "y", "x").values
    for index in range(len(s2.dates)):
        expected = s2.array("B08", index).astype("float32")
        expected[expected == 0] = np.nan
        np.testing.assert_array_equal(values[index], expected)


def test_locked_while_queued_and_running_then_cancel(server, app, alice_headers):
    url, headers = server.url, alice_headers
    runner = app.extensions["openeo_gip"].jobs
    runner.stop()  # nothing takes the job: it stays queued
    job_id = create_job(url, headers)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30).json()["status"] == "queued"
    for method, path, body in [
        ("patch", "", {"title": "x"}),
        ("post", "/results", None),
    ]:
        response = requests.request(
            method, f"{url}/jobs/{job_id}{path}", json=body, headers=headers, timeout=30
        )
        assert response.status_code == 400 and response.json()["code"] == "JobLocked"
    not_finished = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert not_finished.json()["code"] == "JobNotFinished"
    partial = requests.get(f"{url}/jobs/{job_id}/results?partial=true", headers=headers, timeout=30)
    assert partial.status_code == 200 and partial.json()["openeo:status"] == "running"
    assert partial.json()["assets"] == {}
    canceled = requests.delete(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert canceled.status_code == 204
    assert requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30).json()["status"] == "canceled"


def test_failing_graph_ends_in_error_with_a_useful_log(server, alice_headers):
    url, headers = server.url, alice_headers
    process = {
        "process_graph": {
            "load": {
                "process_id": "load_collection",
                "arguments": {"id": "S2", "spatial_extent": None, "temporal_extent": None, "bands": ["B04"]},
            },
            "save": {
                "process_id": "save_result",
                "arguments": {"data": {"from_node": "load"}, "format": "GTiff", "options": {"colour": "red"}},
                "result": True,
            },
        }
    }
    job_id = create_job(url, headers, process=process)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    job = wait_for(url, headers, job_id)
    assert job["status"] == "error"
    logs = requests.get(f"{url}/jobs/{job_id}/logs?level=error", headers=headers, timeout=30).json()["logs"]
    assert len(logs) == 1 and logs[0]["code"] == "ProcessParameterInvalid"
    assert "colour" in logs[0]["message"] and "Traceback" not in logs[0]["message"]
    failed = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert failed.json()["code"] == "JobNotFinished"


def test_bad_requests_get_openeo_errors(server, alice_headers):
    url, headers = server.url, alice_headers
    cases = [
        ({"title": "no process"}, "ProcessGraphMissing"),
        (
            {"process": {"process_graph": {"a": {"process_id": "nope", "arguments": {}, "result": True}}}},
            None,
        ),
        ({"process": load_graph(), "log_level": "loud"}, "RequestBodyInvalid"),
        ({"process": load_graph(), "budget": -1}, "BudgetInvalid"),
        ([1, 2], "RequestBodyInvalid"),
    ]
    for body, code in cases:
        response = requests.post(f"{url}/jobs", json=body, headers=headers, timeout=30)
        assert response.status_code == 400, body
        if code:
            assert response.json()["code"] == code
    unknown = requests.get(f"{url}/jobs/does-not-exist", headers=headers, timeout=30)
    assert unknown.status_code == 404 and unknown.json()["code"] == "JobNotFound"
    assert requests.get(f"{url}/jobs", timeout=30).status_code == 401


def test_delete_removes_job_logs_and_files(server, app, alice_headers, alice):
    from openeo_gip.jobs import job_folder

    url, headers = server.url, alice_headers
    job_id = create_job(url, headers)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    folder = job_folder(app.extensions["openeo_gip"].config, alice.id, job_id)
    assert any(folder.iterdir())
    assert requests.delete(f"{url}/jobs/{job_id}", headers=headers, timeout=30).status_code == 204
    assert not folder.exists()
    assert requests.get(f"{url}/jobs/{job_id}", headers=headers, timeout=30).status_code == 404
    link = next(iter(stac["assets"].values()))["href"]
    assert requests.get(link, timeout=30).status_code == 404


def test_estimate_gives_size_from_the_output_cube(server, alice_headers, s2):
    url, headers = server.url, alice_headers
    job_id = create_job(url, headers)
    response = requests.get(f"{url}/jobs/{job_id}/estimate", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert_valid_response(url, response)
    assert response.json()["size"] == len(s2.dates) * 2 * 32 * 32 * 4  # float32, 2 bands
    assert response.json()["costs"] == 0
    assert "duration" not in response.json()  # no finished job yet to learn the throughput from

    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    finished = wait_for(url, headers, job_id)
    assert finished["usage"]["computed"]["value"] == response.json()["size"]
    later = requests.get(f"{url}/jobs/{job_id}/estimate", headers=headers, timeout=30).json()
    rate = finished["usage"]["computed"]["value"] / finished["usage"]["duration"]["value"]
    assert later["duration"] == f"PT{max(1, math.ceil(later['size'] / rate))}S"


def test_estimate_without_a_cube_is_too_complex(server, alice_headers):
    url, headers = server.url, alice_headers
    process = {"process_graph": {"add": {"process_id": "add", "arguments": {"x": 1, "y": 2}, "result": True}}}
    job_id = create_job(url, headers, process=process)
    response = requests.get(f"{url}/jobs/{job_id}/estimate", headers=headers, timeout=30)
    assert response.status_code == 500 and response.json()["code"] == "EstimateComplexity"


def test_job_logger_keeps_data_code_and_path_above_the_job_level(app, alice):
    from openeo_gip.jobs.store import JobLogger, create_job, read_logs

    db = app.extensions["openeo_gip"].db
    job = create_job(db, alice.id, {"process": load_graph(), "log_level": "info"})
    logger = JobLogger(db, job.id, "info")
    logger.debug("not kept")
    path = [{"node_id": "inspect1", "process_id": "inspect"}]
    logger.info("cube %s", "summary", extra={"data": {"dims": ["t"]}, "code": "Inspect", "path": path})
    try:
        raise ValueError("secret internals")
    except ValueError:
        logger.exception("it failed")
    entries, more = read_logs(db, job.id, after=0, level="debug", limit=None)
    assert not more
    assert [(e.level, e.message) for e in entries] == [("info", "cube summary"), ("error", "it failed")]
    assert entries[0].data == {"dims": ["t"]} and entries[0].code == "Inspect" and entries[0].path == path
    assert "secret internals" not in entries[1].message
