"""Hostile use of disk, quota and logins (#13 items 5, 7 and 8), against a real server process.

Synchronous results and upload staging must not pile up on disk, parallel uploads must not pass the
storage quota together, password guessing is throttled per account and per address without slowing
others, and removing an account removes its data.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from requests.adapters import HTTPAdapter

from openeo_gip.db import Database, accounts
from tests.conftest import PASSWORD
from tests.support.server_process import ServerProcess, assert_openeo_error, assert_still_serving

pytestmark = pytest.mark.slow

QUOTA = 20 * 1024**2
UPLOAD = 5 * 1024**2
PER_ACCOUNT = 4
PER_ADDRESS = 8
WINDOW = 5.0


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    sections = {
        "quota": {"storage_bytes": QUOTA},
        "auth": {
            "login_failures_per_account": PER_ACCOUNT,
            "login_failures_per_address": PER_ADDRESS,
            "login_window_seconds": WINDOW,
        },
    }
    users = ("alice", "bob", "carol")
    with ServerProcess(tmp_path_factory.mktemp("disk"), users=users, sections=sections) as server:
        yield server


def _cache(server: ServerProcess):
    return server.folder / "cache"


def _workspace(server: ServerProcess, name: str):
    db = Database(server.sections["database"]["url"])
    try:
        return server.folder / "workspaces" / accounts.find_user(db, name).id
    finally:
        db.dispose()


def _load(bands: list[str], node: dict | None = None) -> dict:
    graph = {
        "load": {
            "process_id": "load_collection",
            "arguments": {
                "id": "SENTINEL2_L2A_DEMO",
                "spatial_extent": None,
                "temporal_extent": None,
                "bands": bands,
            },
        }
    }
    return graph | (node or {})


def _saved(graph: dict, source: str, fmt: str, name: str = "save") -> dict:
    node = {"process_id": "save_result", "arguments": {"data": {"from_node": source}, "format": fmt}}
    return graph | {name: node}


def _graphs() -> list[dict]:
    """A small GeoTIFF, a JSON document of several MB (sent while its folder is already gone) and two
    results in a ZIP archive."""
    small = _saved(_load(["B04"]), "load", "GTiff")
    small["save"]["result"] = True
    resample = {
        "process_id": "resample_spatial",
        "arguments": {"data": {"from_node": "load"}, "resolution": 2},
    }
    big = _saved(_load(["B04", "B08"], {"fine": resample}), "fine", "JSON")
    big["save"]["result"] = True
    two = _saved(_saved(_load(["B04"]), "load", "GTiff", "tif"), "load", "netCDF", "nc")
    two["nc"]["result"] = True
    return [small, big, two]


def test_sync_results_leave_no_folder_in_the_cache(hostile_server):
    headers = hostile_server.token("alice")
    sizes = []
    for graph in _graphs() * 2:
        response = requests.post(
            f"{hostile_server.url}/result",
            json={"process": {"process_graph": graph}},
            headers=headers,
            timeout=120,
        )
        assert response.status_code == 200, response.text[:2000]
        assert int(response.headers["Content-Length"]) == len(response.content) > 0
        sizes.append(len(response.content))
    assert max(sizes) > 2 * 1024**2  # the big one really is big: waitress sends it in many pieces
    assert sorted(path.name for path in _cache(hostile_server).glob("result-*")) == []
    assert_still_serving(hostile_server)


class _FromAddress(HTTPAdapter):
    """Connections from another loopback address: the server sees another client."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _client(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session


def _login(session, server: ServerProcess, name: str, password: str) -> requests.Response:
    return session.get(f"{server.url}/credentials/basic", auth=(name, password), timeout=30)


def test_password_guessing_is_throttled_per_account_and_address(hostile_server):
    server = hostile_server
    attacker, other = _client("127.0.0.2"), _client("127.0.0.3")
    here = requests.Session()  # 127.0.0.1, where the other users log in from
    for _ in range(PER_ACCOUNT):
        assert_openeo_error(_login(attacker, server, "carol", "guess"), 403, "CredentialsInvalid")
    refused = _login(attacker, server, "carol", "guess")
    body = assert_openeo_error(refused, 429, "TooManyRequests")
    assert 0 < int(refused.headers["Retry-After"]) <= WINDOW
    assert "try again" in body["message"]
    assert "login: account 'carol' reached" in server.log_text()  # the administrator sees it
    # The account is refused from everywhere, even with its right password; other accounts are not.
    assert_openeo_error(_login(here, server, "carol", PASSWORD), 429, "TooManyRequests")
    started = time.monotonic()
    assert _login(here, server, "alice", PASSWORD).status_code == 200
    assert time.monotonic() - started < 1.0

    # The attacker's address runs out with guesses at other names, then refuses even a right password.
    for index in range(PER_ADDRESS - PER_ACCOUNT):
        assert_openeo_error(_login(attacker, server, f"nobody{index}", "guess"), 403, "CredentialsInvalid")
    assert_openeo_error(_login(attacker, server, "alice", PASSWORD), 429, "TooManyRequests")

    # A parallel flood from a third address: no more than its limit is ever checked, the rest is refused
    # before hashing, and everyone else is served meanwhile.
    with ThreadPoolExecutor(8) as pool:
        flood = pool.map(lambda i: _login(other, server, f"guess{i}", "guess").status_code, range(40))
        assert_still_serving(server)
        statuses = list(flood)
    assert statuses.count(403) == PER_ADDRESS and statuses.count(429) == 40 - PER_ADDRESS
    assert requests.get(f"{server.url}/me", headers=server.token("bob"), timeout=5).status_code == 200

    time.sleep(WINDOW)
    assert _login(here, server, "carol", PASSWORD).status_code == 200
    assert _login(attacker, server, "alice", PASSWORD).status_code == 200
    assert_still_serving(server)


def _put(server: ServerProcess, path: str, body: bytes) -> requests.Response:
    return requests.put(f"{server.url}/files/{path}", data=body, headers=server.token("alice"), timeout=60)


def _stored(server: ServerProcess) -> int:
    files = requests.get(f"{server.url}/files", headers=server.token("alice"), timeout=30).json()["files"]
    return sum(file["size"] for file in files)


def test_parallel_uploads_do_not_pass_the_quota(hostile_server):
    body = os.urandom(UPLOAD)
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda i: _put(hostile_server, f"race/{i}.bin", body), range(8)))
    stored = [response for response in responses if response.status_code == 200]
    for response in responses:
        if response.status_code != 200:
            assert_openeo_error(response, 400, "StorageQuotaExceeded")
    assert 1 <= len(stored) <= QUOTA // UPLOAD
    assert _stored(hostile_server) == len(stored) * UPLOAD <= QUOTA
    assert list((_workspace(hostile_server, "alice") / ".uploads").iterdir()) == []
    assert_still_serving(hostile_server)
    for index in range(8):
        requests.delete(
            f"{hostile_server.url}/files/race/{index}.bin", headers=hostile_server.token("alice"), timeout=30
        )


def test_an_interrupted_upload_leaves_no_staging_file(hostile_server):
    head = (
        f"PUT /files/cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {hostile_server.token('alice')['Authorization']}\r\n"
        f"Content-Length: {UPLOAD}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", hostile_server.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"x" * (UPLOAD // 4))
    assert_still_serving(hostile_server)
    staging = _workspace(hostile_server, "alice") / ".uploads"
    assert not staging.exists() or list(staging.iterdir()) == []
    assert _put(hostile_server, "cut.bin", b"whole").status_code == 200  # the path is not blocked


def _cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "openeo_gip.cli", "--config", str(server.config_file), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, input=f"{PASSWORD}\n")


def test_user_remove_deletes_the_accounts_files_jobs_and_processes(hostile_server):
    server = hostile_server
    assert _cli(server, "user", "add", "erin", "--password-stdin").returncode == 0
    headers = server.token("erin")
    assert requests.put(f"{server.url}/files/notes.txt", data=b"mine", headers=headers, timeout=30).ok
    graph = _saved(_load(["B04"]), "load", "GTiff")
    graph["save"]["result"] = True
    job = requests.post(f"{server.url}/jobs", json={"process": {"process_graph": graph}}, headers=headers)
    assert job.status_code == 201, job.text
    process = {"process_graph": {"a": {"process_id": "add", "arguments": {"x": 1, "y": 2}, "result": True}}}
    assert requests.put(f"{server.url}/process_graphs/mine", json=process, headers=headers).ok
    folder = _workspace(server, "erin")
    assert (folder / "files" / "notes.txt").is_file()

    removed = _cli(server, "user", "remove", "erin")
    assert removed.returncode == 0, removed.stderr
    assert "removed user erin" in removed.stdout
    assert "1 job" in removed.stdout and "1 process" in removed.stdout and str(folder) in removed.stdout
    assert not folder.exists()
    db = Database(server.sections["database"]["url"])
    try:
        assert accounts.find_user(db, "erin") is None
    finally:
        db.dispose()
    assert_openeo_error(requests.get(f"{server.url}/files", headers=headers, timeout=30), 403, "TokenInvalid")
    assert_still_serving(server)


def test_a_restart_removes_scratch_a_dead_server_left(hostile_server):
    server = hostile_server
    left_result = _cache(server) / "result-crashed"
    left_result.mkdir(parents=True)
    (left_result / "out.tif").write_bytes(b"x" * 1000)
    staging = _workspace(server, "alice") / ".uploads"
    staging.mkdir(parents=True, exist_ok=True)
    left_upload = staging / "abandoned.part"
    left_upload.write_bytes(b"x" * 1000)
    in_use = staging / "in-use.part"  # held by a live process (this one), as by another server
    in_use.write_bytes(b"y")
    with open(in_use, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        server.__exit__(None, None, None)
        server.start()
        assert not left_result.exists() and not left_upload.exists()
        assert in_use.exists()
    in_use.unlink()
    assert_still_serving(server)
