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

    @fuzz_settings(bounded=150)
    @given(case=cases)
    def check(case):
        case.headers = {**(case.headers or {}), **server.token()}  # as alice, not a generated login
        response = case.call(base_url=server.url, session=session, timeout=60)
        assert_no_server_error(server, response, case.as_curl_command())

    check()
    assert_still_serving(server)


def test_random_process_graphs_get_no_server_error(server):
    session = requests.Session()
    headers = {**server.token(), "Content-Type": "application/json"}

    @fuzz_settings(bounded=100)
    @given(graph=process_graphs(catalogue(server)), target=st.sampled_from(["result", "validation", "store"]))
    def check(graph, target):
        # Python's JSON writes NaN and Infinity, which the server must refuse or read without failing.
        if target == "store":
            method, path, body = "PUT", "/process_graphs/fuzzed", {"process_graph": graph}
        elif target == "validation":
            method, path, body = "POST", "/validation", {"process_graph": graph}
        else:
            method, path, body = "POST", "/result", {"process": {"process_graph": graph}}
        data = json.dumps(body)
        response = session.request(method, server.url + path, data=data, headers=headers, timeout=120)
        assert_no_server_error(server, response, f"{method} {path} {data[:3000]}")

    check()
    assert_still_serving(server)
