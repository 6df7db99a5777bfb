"""Results copied into the user's files: ``export_workspace`` in batch jobs and on ``/result``, the config
option that copies every job's results, and the storage quota; all through the official openEO client."""

from __future__ import annotations

import hashlib

import numpy as np
import openeo
import pytest
import rasterio

from tests.conftest import PASSWORD, add_user


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _job_tifs(job, folder):
    return sorted(p for p in job.get_results().download_files(folder) if p.suffix == ".tif")


def test_export_workspace_copies_job_results_into_files(connection, s2, tmp_path):
    saved = connection.load_collection("S2", bands=["B04"]).save_result(format="GTiff")
    job = saved.export_workspace(workspace="files", merge="exports/red").create_job()
    job.start_and_wait(max_poll_interval=0.5)
    results = _job_tifs(job, tmp_path / "job")
    assert len(results) == len(s2.dates)
    listed = sorted(str(f.path) for f in connection.list_files())
    assert listed == [f"exports/red/{path.name}" for path in results]
    for index, path in enumerate(results):
        copy = connection.get_file(f"exports/red/{path.name}").download(tmp_path / "copies" / path.name)
        assert _digest(copy) == _digest(path)  # the very bytes of the job's result
        with rasterio.open(copy) as tif:
            values = tif.read(1)
        red = s2.array("B04", index).astype("float64")
        red[red == 0] = np.nan
        np.testing.assert_allclose(values, red, equal_nan=True)
    assert any("Copied 2 result file(s)" in entry["message"] for entry in job.logs())


def test_other_users_do_not_see_the_copies(connection, app, server, s2):
    saved = connection.load_collection("S2", bands=["B04"]).save_result(format="GTiff")
    saved.export_workspace(workspace="files").create_job().start_and_wait(max_poll_interval=0.5)
    assert [str(f.path).split("/")[0] for f in connection.list_files()] == ["jobs", "jobs"]
    add_user(app, "bob")
    bob = openeo.connect(server.url).authenticate_basic("bob", PASSWORD)
    assert bob.list_files() == []


# The quota holds the job's estimate (B04: 2 x 32 x 32 float32; a larger one is refused at start) but not
# the results and their copy.
@pytest.mark.parametrize("config", [{"quota": {"storage_bytes": 2 * 32 * 32 * 4}}], indirect=True)
def test_over_quota_the_job_finishes_and_says_why(connection, s2, tmp_path):
    saved = connection.load_collection("S2", bands=["B04"]).save_result(format="GTiff")
    job = saved.export_workspace(workspace="files", merge="exports").create_job()
    job.start_and_wait(max_poll_interval=0.5)
    assert job.status() == "finished"
    errors = [entry for entry in job.logs() if entry["level"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "StorageQuotaExceeded"
    assert "'exports/'" in errors[0]["message"] and "job's results" in errors[0]["message"]
    assert connection.list_files() == []
    assert len(_job_tifs(job, tmp_path / "job")) == len(s2.dates)  # still downloadable from the job


@pytest.mark.parametrize("config", [{"jobs": {"export_results_to_files": True}}], indirect=True)
def test_config_option_copies_every_jobs_results(connection, s2, tmp_path):
    job = connection.load_collection("S2", bands=["B08"]).save_result(format="GTiff").create_job()
    job.start_and_wait(max_poll_interval=0.5)
    results = _job_tifs(job, tmp_path / "job")
    listed = sorted(str(f.path) for f in connection.list_files())
    assert listed == [f"jobs/{job.job_id}/{path.name}" for path in results]
    copy = connection.get_file(listed[0]).download(tmp_path / "copy.tif")
    assert _digest(copy) == _digest(results[0])


def test_sync_result_is_copied_too(connection, s2, tmp_path):
    cube = connection.load_collection("S2", bands=["B04"]).reduce_dimension(dimension="t", reducer="max")
    cube.save_result(format="GTiff").export_workspace(workspace="files", merge="sync/max").download(
        tmp_path / "answer.tif"
    )
    (listed,) = [str(f.path) for f in connection.list_files()]
    assert listed.startswith("sync/max/") and listed.endswith(".tif")
    copy = connection.get_file(listed).download(tmp_path / "copy.tif")
    assert _digest(copy) == _digest(tmp_path / "answer.tif")


@pytest.mark.parametrize(
    ("workspace", "merge", "code"),
    [("s3-bucket", None, "ProcessParameterInvalid"), ("files", "../escape", "FilePathInvalid")],
)
def test_unknown_workspace_and_bad_folder_are_refused(connection, s2, tmp_path, workspace, merge, code):
    saved = connection.load_collection("S2", bands=["B04"]).save_result(format="GTiff")
    with pytest.raises(openeo.rest.OpenEoApiError) as caught:
        saved.export_workspace(workspace=workspace, merge=merge).download(tmp_path / "x.tif")
    assert caught.value.code == code and caught.value.http_status_code == 400
    assert connection.list_files() == []
