"""A teacher shares a user-defined process with a class: public processes, their canonical address as the
namespace other users call them by, and "did you mean" for a misspelt process id."""

from __future__ import annotations

import openeo
import pytest
import requests
from openeo.api.process import Parameter
from openeo.rest import OpenEoApiError

from tests.conftest import PASSWORD, add_user


@pytest.fixture
def teacher(connection) -> openeo.Connection:
    """alice, who stores ``scale_by`` publicly and ``secret_scale`` privately."""
    graph = {
        "m": {
            "process_id": "multiply",
            "arguments": {"x": {"from_parameter": "x"}, "y": {"from_parameter": "factor"}},
            "result": True,
        }
    }
    params = [Parameter.number("x", description="a number"), Parameter.number("factor", description="times")]
    connection.save_user_defined_process("scale_by", graph, parameters=params, public=True)
    connection.save_user_defined_process("secret_scale", graph, parameters=params, public=False)
    return connection


@pytest.fixture
def student(server, app) -> openeo.Connection:
    add_user(app, "bob")
    return openeo.connect(server.url, auto_validate=False).authenticate_basic("bob", PASSWORD)


def canonical(connection: openeo.Connection, process_id: str) -> str | None:
    links = connection.user_defined_process(process_id).describe().get("links", [])
    return next((entry["href"] for entry in links if entry["rel"] == "canonical"), None)


def test_a_public_process_has_a_canonical_address_anyone_can_read(teacher, server):
    address = canonical(teacher, "scale_by")
    assert address == f"{server.url}/processes/u/alice/scale_by"
    document = requests.get(address, timeout=30).json()  # no login
    assert document["id"] == "scale_by" and "m" in document["process_graph"]
    assert canonical(teacher, "secret_scale") is None
    hidden = requests.get(f"{server.url}/processes/u/alice/secret_scale", timeout=30)
    assert hidden.status_code == 404 and hidden.json()["code"] == "ProcessGraphNotFound"


@pytest.mark.parametrize("form", ["address", "address without id", "short"])
def test_another_user_calls_a_public_process_by_its_namespace(teacher, student, form):
    address = canonical(teacher, "scale_by")
    namespace = {"address": address, "address without id": address.rsplit("/", 1)[0], "short": "u:alice"}[
        form
    ]
    result = student.datacube_from_process("scale_by", namespace=namespace, x=7, factor=6).execute()
    assert result == 42


def test_a_batch_job_calls_a_public_process_by_its_address(teacher, student):
    cube = student.datacube_from_process("scale_by", namespace=canonical(teacher, "scale_by"), x=3, factor=5)
    job = cube.create_job(out_format="JSON")
    job.start_and_wait(max_poll_interval=0.5, print=lambda *_: None)
    assert job.get_results().get_assets()[0].load_json() == 15


def test_private_processes_and_other_servers_addresses_stay_unavailable(teacher, student, server):
    for process_id, namespace in [
        ("secret_scale", "u:alice"),
        ("secret_scale", f"{server.url}/processes/u/alice/secret_scale"),
        ("scale_by", "https://elsewhere.example/processes/u/alice/scale_by"),
        ("scale_by", "u:nobody"),
    ]:
        with pytest.raises(OpenEoApiError) as refused:
            student.datacube_from_process(process_id, namespace=namespace, x=1, factor=2).execute()
        assert refused.value.code == "ProcessUnsupported", namespace


def test_a_misspelt_process_id_gets_a_suggestion(connection):
    with pytest.raises(OpenEoApiError) as refused:
        connection.datacube_from_process("load_colection", id="S2").execute()
    assert refused.value.code == "ProcessUnsupported"
    assert "Did you mean 'load_collection'?" in refused.value.message
