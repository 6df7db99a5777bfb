"""Hostile HTTP at the edge (#13): idle and trickling connections, oversized and deeply nested JSON bodies,
forged Host headers. Each goes to a real server process, which must answer with a clear openEO error (or
close the connection) and keep serving others within a second."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from tests.support.server_process import ServerProcess, assert_openeo_error, assert_still_serving, send_json

pytestmark = pytest.mark.slow

JSON_BYTES = 1024 * 1024


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory) -> Iterator[ServerProcess]:
    """No public URL (links follow the Host header, if allowed), short header deadline, 1 MiB JSON bodies."""
    limits = {"header_seconds": 1, "idle_seconds": 2, "json_bytes": JSON_BYTES}
    sections = {"server": {"public_url": "", **limits}}
    with ServerProcess(tmp_path_factory.mktemp("edge"), sections=sections, demo_data=False) as server:
        server.token("bob")  # logged in before any test ties the server up
        yield server


def _connect(server: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """The server closed ``sock`` within ``seconds`` (without answering anything)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_many_connections_with_incomplete_headers_do_not_block_others(edge_server):
    # More than waitress's default connection limit (100), none of them logged in.
    sockets = [_connect(edge_server) for _ in range(150)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /collections HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.3)
        assert_still_serving(edge_server)
    finally:
        for sock in sockets:
            sock.close()


def test_incomplete_headers_are_cut_off_after_the_header_deadline(edge_server):
    silent = _connect(edge_server)
    partial = _connect(edge_server)
    partial.sendall(b"GET / HTTP/1.1\r\n")
    started = time.monotonic()
    assert _closed_within(silent, 4) and _closed_within(partial, 4)
    assert time.monotonic() - started < 4
    assert_still_serving(edge_server)


def test_trickled_headers_are_cut_off_after_the_header_deadline(edge_server):
    """One header line every 0.2 s: never idle, yet the headers never end."""
    sock = _connect(edge_server)
    sock.sendall(b"GET / HTTP/1.1\r\n")
    started = time.monotonic()
    closed = False
    while not closed and time.monotonic() - started < 5:
        try:
            sock.sendall(b"X-Slow: 1\r\n")
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        closed = closed or _closed_within(sock, 0.2)
    assert closed, "the server kept waiting for the headers"
    assert time.monotonic() - started < 3
    assert_still_serving(edge_server)


def test_a_complete_request_is_not_cut_off_by_the_header_deadline(edge_server):
    """A keep-alive connection that sent whole requests is only closed after being idle for long."""
    with requests.Session() as session:
        for _ in range(2):
            assert session.get(edge_server.url + "/", timeout=5).status_code == 200
            time.sleep(1.2)  # past the header deadline, within the idle time
        assert session.get(edge_server.url + "/", timeout=5).status_code == 200


def _padded_process(size: int) -> bytes:
    """A valid /result body of ``size`` bytes: a small graph and a long title."""
    process = {"process_graph": {"a": {"process_id": "add", "arguments": {"x": 1, "y": 2}, "result": True}}}
    body = json.dumps({"process": process, "title": ""}).encode()
    return body.replace(b'"title": ""', b'"title": "' + b"x" * (size - len(body)) + b'"')


def test_a_json_body_over_the_limit_is_refused(edge_server):
    assert send_json(edge_server, "/result", _padded_process(JSON_BYTES // 2)).json() == 3
    body = assert_openeo_error(send_json(edge_server, "/result", _padded_process(2 * JSON_BYTES)), 413)
    assert body["code"] == "PayloadTooLarge" and str(JSON_BYTES) in body["message"]
    assert_still_serving(edge_server)


def test_a_chunked_json_body_over_the_limit_is_refused(edge_server):
    body = _padded_process(2 * JSON_BYTES)
    chunks = (body[start : start + 65536] for start in range(0, len(body), 65536))  # no Content-Length
    assert_openeo_error(send_json(edge_server, "/jobs", chunks), 413, "PayloadTooLarge")
    assert_still_serving(edge_server)


@pytest.mark.parametrize("path", ["/result", "/validation", "/jobs"])
def test_a_json_body_nested_100k_deep_is_refused(edge_server, path):
    deep = "[" * 100_000 + "]" * 100_000
    body = assert_openeo_error(send_json(edge_server, path, '{"process": ' + deep + "}"), 400, "JSONInvalid")
    assert "deep" in body["message"]
    assert_still_serving(edge_server)


def test_a_json_body_over_the_depth_limit_is_refused_below_the_parsers_own_limit(edge_server):
    """600 levels parse in Python, but are more than the server's limit of 512."""
    deep = "[" * 600 + "]" * 600
    body = assert_openeo_error(send_json(edge_server, "/validation", deep), 400, "JSONInvalid")
    assert "512" in body["message"]
    assert_still_serving(edge_server)


def test_a_forged_host_is_refused_without_a_public_url(edge_server):
    forged = {**edge_server.token("alice"), "Host": "evil.example"}
    for method, path in (("GET", "/"), ("GET", "/jobs"), ("POST", "/jobs")):
        response = requests.request(method, edge_server.url + path, headers=forged, json={}, timeout=10)
        body = assert_openeo_error(response, 400, "HostNotAllowed")
        assert "server.allowed_hosts" in body["message"] and "Location" not in response.headers
    # A name of this machine is allowed, and the links follow it.
    named = requests.get(edge_server.url + "/", headers={"Host": f"localhost:{edge_server.port}"}, timeout=10)
    assert named.status_code == 200
    hrefs = {link["href"] for link in named.json()["links"]}
    assert f"http://localhost:{edge_server.port}/collections" in hrefs
    assert_still_serving(edge_server)
