"""The results of finished jobs as load_result, load_stac and load_url read them (jobs/finished_results.py):
only the owner's jobs by id or results address, anyone's by a signed link made here, every other address
left to be fetched as usual; and the errors each case gives, as the processes report them."""

from __future__ import annotations

import time
import types

import pytest

from openeo_gip.db import Database
from openeo_gip.db.accounts import add_user
from openeo_gip.demodata import synthetic
from openeo_gip.errors import ApiError
from openeo_gip.jobs import job_folder
from openeo_gip.jobs.finished_results import FinishedResults
from openeo_gip.jobs.links import expiry
from openeo_gip.jobs.stac import download_url
from openeo_gip.jobs.store import create_job, delete_job, set_status
from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.load.job_results import UnusableResults
from openeo_gip.processes.load.result import load_result
from openeo_gip.processes.load.url import load_url

GTIFF = "image/tiff; application=geotiff"
SERVER = "https://openeo.example"


@pytest.fixture
def db(config):
    db = Database(config.database.url)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def users(db):
    return types.SimpleNamespace(alice=add_user(db, "alice", "x").id, bob=add_user(db, "bob", "x").id)


def finished_job(config, db, user_id: str, files: dict[str, str]) -> str:
    """A finished job of ``user_id`` whose results are ``files`` (name: media type); GeoTIFFs are written."""
    job = create_job(db, user_id, {"process": {"process_graph": {}}, "title": "done"})
    for name, media_type in files.items():
        path = job_folder(config, user_id, job.id) / name
        if media_type == GTIFF:
            synthetic.write_dem(path, size=16)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("{}")
    results = [{"file": name, "type": media_type} for name, media_type in files.items()]
    assert set_status(db, job.id, "finished", expected=("created",), results=results)
    return job.id


def link(config, job_id: str, file: str, expires: int | None = None) -> str:
    """The link as GET /jobs/{id}/results gives it (a file's ends with the file's name)."""
    return download_url(config, SERVER, job_id, file, expires or expiry(config))


def code_of(call) -> str:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.code


def test_a_job_by_id_is_its_owners_and_finished(config, db, users):
    results = FinishedResults(config, db)
    done = finished_job(config, db, users.alice, {"result.tif": GTIFF})
    assert results.record_of_job(done, users.alice).id == done
    assert code_of(lambda: results.record_of_job(done, users.bob)) == "JobNotFound"
    assert code_of(lambda: results.record_of_job("no-such-job", users.alice)) == "JobNotFound"
    waiting = create_job(db, users.alice, {"process": {"process_graph": {}}}).id
    assert code_of(lambda: results.record_of_job(waiting, users.alice)) == "JobNotFinished"
    json_only = finished_job(config, db, users.alice, {"result.json": "application/json"})
    with pytest.raises(UnusableResults, match="has no raster results"):
        results.record_of_job(json_only, users.alice)


def test_a_results_address_is_recognised_for_the_owner_and_a_signed_one_for_anyone(config, db, users):
    results = FinishedResults(config, db)
    done = finished_job(config, db, users.alice, {"result.tif": GTIFF})
    address = f"{SERVER}/jobs/{done}/results"
    job_id, record = results.record_of_url(address, users.alice)
    assert job_id == done and record.id == done
    # Someone else's address, or no user: perhaps another back-end's job, fetched as usual.
    assert results.record_of_url(address, users.bob) is None
    assert results.record_of_url(address, None) is None
    assert results.record_of_url("https://elsewhere.example/collection.json", users.alice) is None
    assert results.record_of_url(f"{SERVER}/download/not-signed-here", None) is None
    assert results.record_of_url(link(config, done, ""), None)[0] == done
    assert results.record_of_url(link(config, done, "result.tif"), None) is None  # a file, not the results
    assert (
        code_of(lambda: results.record_of_url(link(config, done, "", expires=1), None)) == "ResultLinkExpired"
    )
    assert code_of(lambda: results.record_of_url(link(config, "gone", ""), None)) == "JobNotFound"


def test_a_signed_file_link_opens_the_listed_file_while_it_is_there(config, db, users):
    results = FinishedResults(config, db)
    done = finished_job(
        config, db, users.alice, {"result.tif": GTIFF, "extra/result.json": "application/json"}
    )
    folder = job_folder(config, users.alice, done)
    assert results.file_of_url(link(config, done, "result.tif")) == (folder / "result.tif").resolve()
    assert results.file_of_url(f"{SERVER}/jobs/{done}/results") is None
    assert results.file_of_url(link(config, done, "")) is None  # the results document, not a file
    assert results.file_of_url("https://elsewhere.example/result.tif") is None
    expired = link(config, done, "result.tif", expires=int(time.time()) - 1)
    assert code_of(lambda: results.file_of_url(expired)) == "ResultLinkExpired"
    (folder / "extra" / "result.json").unlink()
    with pytest.raises(UnusableResults, match="the file of this link does not exist"):
        results.file_of_url(link(config, done, "extra/result.json"))
    with pytest.raises(UnusableResults, match="the file of this link does not exist"):
        results.file_of_url(link(config, done, "unlisted.tif"))
    delete_job(db, done)
    with pytest.raises(UnusableResults, match="the batch job of this link has no results"):
        results.file_of_url(link(config, done, "result.tif"))


def test_the_processes_report_unusable_results_as_their_parameter_invalid(config, db, users):
    services = types.SimpleNamespace(config=config, db=db, job_results=FinishedResults(config, db))
    ctx = ProcessContext(services=services, user=types.SimpleNamespace(id=users.alice))
    json_only = finished_job(config, db, users.alice, {"result.json": "application/json"})
    with pytest.raises(ApiError) as caught:
        load_result(json_only, ctx=ctx)
    assert caught.value.code == "ProcessParameterInvalid" and "has no raster results" in caught.value.message
    with pytest.raises(ApiError) as caught:
        load_url(link(config, json_only, "missing.tif"), "GTiff", ctx=ctx)
    assert (
        caught.value.code == "ProcessParameterInvalid" and "does not exist (any more)" in caught.value.message
    )
    nobody = ProcessContext(services=services, user=None)
    assert code_of(lambda: load_result(json_only, ctx=nobody)) == "JobNotFound"
