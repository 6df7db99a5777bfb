"""Fuzzing a real server as a logged-in user: requests generated from the openEO API document
(schemathesis, valid and invalid ones), and random process graphs of the server's own processes posted
to /validation, /result and /process_graphs. No answer is a 500, every error is an openEO error, and the
server still serves others afterwards. ``make test`` runs a bounded, fixed set of cases; ``make fuzz``
many random ones (tests/support/fuzz.py)."""

from __future__ import annotations

import json

import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.support.fuzz import assert_no_server_error, catalogue, fuzz_settings, process_graphs
from tests.support.openapi import api_document
from tests.support.server_process import assert_still_serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(hostile_server):
    hostile_server.token("bob")  # logged in before the fuzzing, whose wrong logins may throttle this address
    return hostile_server


def test_requests_from_the_api_document_get_no_server_error(server):
    schema = schemathesis.openapi.from_dict(api_document(server.url))
    cases = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )
    session = requests.Session()

    @fuzz_settings(bounded=200)
    @given(case=cases)
    def check(case):
        case.headers = {**(case.headers or {}), **server.token()}  # as alice, not a generated login
        response = case.call(base_url=server.url, session=session, timeout=60)
        assert_no_server_error(server, response, case.as_curl_command())

    check()
    assert_still_serving(server)


def test_random_process_graphs_get_no_server_error(server):
    session = requests.Session()
    graphs = catalogue(server)
    targets = st.sampled_from(["result", "validation", "store", "job", "service"])

    @fuzz_settings(bounded=150)
    # As JSON text: hypothesis prints a failing case, and its printer recurses into nested arrays.
    @given(graph=process_graphs(graphs).map(json.dumps), target=targets)
    def check(graph, target):
        for what, response in send_graph(server, session, graph, target):
            assert_no_server_error(server, response, what)

    check()
    assert_still_serving(server)


def send_graph(server, session: requests.Session, graph: str, target: str):
    """Sends ``graph`` (JSON) where ``target`` says, and what follows from it: a job's estimate, a map
    service's tile. Yields each request (for the failure message) and its response.

    Python's JSON writes NaN and Infinity, which the server must refuse or read without failing."""
    headers = {**server.token(), "Content-Type": "application/json"}

    def send(method: str, path: str, data: str | None = None):
        response = session.request(method, server.url + path, data=data, headers=headers, timeout=120)
        return f"{method} {path} {(data or '')[:3000]}", response

    process = f'{{"process_graph": {graph}}}'

    def then(created: tuple[str, requests.Response], method: str, path: str):
        what, response = send(method, path)
        return f"{what}\nafter {created[0]}", response

    if target == "validation":
        yield send("POST", "/validation", process)
    elif target == "store":
        yield send("PUT", "/process_graphs/fuzzed", process)
    elif target == "result":
        yield send("POST", "/result", f'{{"process": {process}}}')
    elif target == "job":
        created = send("POST", "/jobs", f'{{"process": {process}}}')
        yield created
        if created[1].status_code == 201:
            job = created[1].headers["OpenEO-Identifier"]
            yield then(created, "GET", f"/jobs/{job}/estimate")
            yield then(created, "DELETE", f"/jobs/{job}")
    else:
        created = send("POST", "/services", f'{{"type": "XYZ", "process": {process}}}')
        yield created
        if created[1].status_code == 201:
            service = created[1].headers["OpenEO-Identifier"]
            described = then(created, "GET", f"/services/{service}")
            yield described
            # A tile of zoom 0 covers the whole world, so the demo data too
            url = described[1].json()["url"] + "/0/0/0.png"
            yield f"GET {url}\nafter {created[0]}", session.get(url, timeout=120)
            yield then(created, "DELETE", f"/services/{service}")
