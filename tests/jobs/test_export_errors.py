"""export_workspace errors: a folder path the user's own files block is a 400 path error, never a 500, in
synchronous requests and in batch jobs (whose results stay downloadable); a failure of the server's own
storage is the openEO ``StorageFailure`` (500), not an anonymous internal error."""

from __future__ import annotations

import openeo
import pytest

from openeo_gip.workspace import user_folder
from tests.conftest import make_config
from tests.jobs.conftest import DASK_SETTINGS, JOB_SETTINGS


@pytest.fixture
def config(tmp_path, db_url, s2):
    return make_config(tmp_path, db_url, jobs=JOB_SETTINGS, dask=DASK_SETTINGS)


@pytest.fixture
def blocked(connection, tmp_path) -> str:
    """An uploaded file ``exports``: the folder ``exports/red`` cannot be made."""
    note = tmp_path / "note.txt"
    note.write_text("not a folder")
    connection.upload_file(note, target="exports")
    return "exports/red"


def _red(connection):
    return connection.load_collection("S2", bands=["B04"]).save_result(format="GTiff")


def test_sync_export_below_a_file_is_a_path_error(connection, blocked, tmp_path):
    with pytest.raises(openeo.rest.OpenEoApiError) as caught:
        _red(connection).export_workspace(workspace="files", merge=blocked).download(tmp_path / "x.tif")
    assert caught.value.http_status_code == 400 and caught.value.code == "FilePathInvalid"
    assert "exports" in caught.value.message
    assert [str(f.path) for f in connection.list_files()] == ["exports"]


def test_job_export_below_a_file_logs_a_path_error(connection, blocked, tmp_path):
    job = _red(connection).export_workspace(workspace="files", merge=blocked).create_job()
    job.start_and_wait(max_poll_interval=0.5)
    assert job.status() == "finished"
    errors = [entry for entry in job.logs() if entry["level"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "FilePathInvalid", errors
    assert f"'{blocked}/'" in errors[0]["message"] and "job's results" in errors[0]["message"]
    assert [str(f.path) for f in connection.list_files()] == ["exports"]
    assert job.get_results().download_files(tmp_path / "job")  # still downloadable from the job


def test_a_failure_of_the_servers_storage_is_a_storage_failure(app, alice, connection, tmp_path):
    # The server's own staging folder cannot be made (a file stands there): not the user's doing.
    staging = user_folder(app.extensions["openeo_gip"].config, alice.id) / ".uploads"
    staging.parent.mkdir(parents=True, exist_ok=True)
    staging.write_text("in the way")
    with pytest.raises(openeo.rest.OpenEoApiError) as caught:
        _red(connection).export_workspace(workspace="files", merge="out").download(tmp_path / "x.tif")
    assert caught.value.http_status_code == 500 and caught.value.code == "StorageFailure"
    # A synchronous GTiff is one GeoTIFF, both dates in it.
    assert "failed after 0 of 1 file(s)" in caught.value.message and "try again" in caught.value.message
    assert connection.list_files() == []
