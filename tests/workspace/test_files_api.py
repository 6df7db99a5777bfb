"""The file workspace over HTTP: uploads, downloads, confinement, quotas, isolation."""

from __future__ import annotations

import http.client
import io
import os
import socket

import openeo
import pytest
import requests
from werkzeug.wsgi import LimitedStream

from openeo_gip.workspace import files_folder, user_folder
from openeo_gip.workspace.files import store
from openeo_gip.workspace.quota import UserQuota
from tests.conftest import PASSWORD, add_user, bearer_for
from tests.support.openapi import assert_valid_response


@pytest.fixture
def headers(server, alice):
    return bearer_for(server.url, "alice")


def _raw(server, method: str, path: str, headers: dict, body: bytes | None = None):
    """Send the path exactly as written (HTTP libraries would normalise '..' away)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    status, data = response.status, response.read()
    connection.close()
    return status, data


def test_upload_response_matches_the_api(server, headers):
    # A one-segment path: the document's path template cannot match slashes inside {path}.
    put = requests.put(f"{server.url}/files/scene.tif", data=b"abc", headers=headers, timeout=30)
    assert_valid_response(server.url, put)
    assert put.json()["path"] == "scene.tif" and put.json()["size"] == 3


def test_upload_list_download_delete(server, headers, app, alice):
    payload = os.urandom(300_000)
    put = requests.put(f"{server.url}/files/inputs/2024/scene.tif", data=payload, headers=headers, timeout=30)
    assert put.status_code == 200, put.text
    assert put.json()["path"] == "inputs/2024/scene.tif" and put.json()["size"] == len(payload)

    listing = requests.get(f"{server.url}/files", headers=headers, timeout=30)
    assert_valid_response(server.url, listing)
    assert [entry["path"] for entry in listing.json()["files"]] == ["inputs/2024/scene.tif"]

    got = requests.get(f"{server.url}/files/inputs/2024/scene.tif", headers=headers, timeout=30)
    assert got.status_code == 200 and got.content == payload

    url = f"{server.url}/files/inputs/2024/scene.tif"
    part = requests.get(url, headers={**headers, "Range": "bytes=1000-1999"}, timeout=30)
    assert part.status_code == 206 and part.content == payload[1000:2000]

    replaced = requests.put(url, data=b"new", headers=headers, timeout=30)
    assert replaced.json()["size"] == 3

    gone = requests.delete(f"{server.url}/files/inputs/2024/scene.tif", headers=headers, timeout=30)
    assert gone.status_code == 204
    root = files_folder(app.extensions["openeo_gip"].config, alice.id)
    assert list(root.iterdir()) == []  # the emptied folders went too
    missing = requests.get(f"{server.url}/files/inputs/2024/scene.tif", headers=headers, timeout=30)
    assert missing.status_code == 404 and missing.json()["code"] == "FileNotFound"


def test_listing_is_paged(server, headers):
    for index in range(5):
        requests.put(f"{server.url}/files/f{index}.txt", data=b"x", headers=headers, timeout=30)
    first = requests.get(f"{server.url}/files?limit=2", headers=headers, timeout=30).json()
    assert [entry["path"] for entry in first["files"]] == ["f0.txt", "f1.txt"]
    following = {link["rel"]: link["href"] for link in first["links"]}["next"]
    second = requests.get(following, headers=headers, timeout=30).json()
    assert [entry["path"] for entry in second["files"]] == ["f2.txt", "f3.txt"]
    bad = requests.get(f"{server.url}/files?limit=zero", headers=headers, timeout=30)
    assert bad.status_code == 400 and bad.json()["code"] == "ParameterInvalid"


def test_folders_are_not_files(server, headers):
    requests.put(f"{server.url}/files/a/b.txt", data=b"x", headers=headers, timeout=30)
    for method in ("GET", "DELETE"):
        response = requests.request(method, f"{server.url}/files/a", headers=headers, timeout=30)
        assert response.status_code == 400 and response.json()["code"] == "FileOperationUnsupported"
    put = requests.put(f"{server.url}/files/a", data=b"x", headers=headers, timeout=30)
    assert put.status_code == 400 and put.json()["code"] == "FolderOperationUnsupported"
    # A file used as a folder: refused, and the file stays as it was.
    inside = requests.put(f"{server.url}/files/a/b.txt/c.txt", data=b"y", headers=headers, timeout=30)
    assert inside.status_code == 400 and inside.json()["code"] == "FilePathInvalid"
    assert requests.get(f"{server.url}/files/a/b.txt", headers=headers, timeout=30).content == b"x"


@pytest.mark.parametrize(
    "path",
    [
        "/files/../../etc/passwd",
        "/files/a/../../x",
        "/files/%2e%2e/%2e%2e/etc/passwd",
        "/files/%252e%252e/x",
        "/files/a%2F..%2F..%2Fx",
        "/files/a%5c..%5cx",
        "/files/a%00b",
        "/files//etc/passwd",
        "/files/.uploads/x",
        "/files/./x",
    ],
)
def test_path_tricks_are_refused(server, headers, path, app, alice):
    for method, body in (("GET", None), ("PUT", b"evil"), ("DELETE", None)):
        status, data = _raw(server, method, path, headers, body)
        assert status in (400, 404), (method, path, status, data)
        assert b'"FilePathInvalid"' in data or b'"NotFound"' in data, data
    workspace = user_folder(app.extensions["openeo_gip"].config, alice.id)
    written = [p for p in workspace.rglob("*") if p.is_file()] if workspace.exists() else []
    assert written == []


def test_links_out_of_the_workspace_are_refused(server, headers, app, alice, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    root = files_folder(app.extensions["openeo_gip"].config, alice.id)
    root.mkdir(parents=True)
    (root / "door").symlink_to(outside, target_is_directory=True)
    got = requests.get(f"{server.url}/files/door/secret.txt", headers=headers, timeout=30)
    assert got.status_code == 400 and got.json()["code"] == "FilePathInvalid"
    put = requests.put(f"{server.url}/files/door/new.txt", data=b"x", headers=headers, timeout=30)
    assert put.status_code == 400 and not (outside / "new.txt").exists()
    listing = requests.get(f"{server.url}/files", headers=headers, timeout=30).json()["files"]
    assert listing == []


def test_quota_and_file_size_limits_change_nothing(server, headers, app, alice):
    quota = app.extensions["openeo_gip"].config.quota
    quota.storage_bytes, quota.file_bytes = 1000, 600
    assert requests.put(f"{server.url}/files/one.bin", data=b"1" * 500, headers=headers, timeout=30).ok
    too_big = requests.put(f"{server.url}/files/big.bin", data=b"2" * 700, headers=headers, timeout=30)
    assert too_big.status_code == 400 and too_big.json()["code"] == "FileSizeExceeded"
    over = requests.put(f"{server.url}/files/two.bin", data=b"3" * 550, headers=headers, timeout=30)
    assert over.status_code == 400 and over.json()["code"] == "StorageQuotaExceeded"
    # Replacing a file counts its old size as free again.
    assert requests.put(f"{server.url}/files/one.bin", data=b"4" * 590, headers=headers, timeout=30).ok
    files = requests.get(f"{server.url}/files", headers=headers, timeout=30).json()["files"]
    assert [(entry["path"], entry["size"]) for entry in files] == [("one.bin", 590)]
    me = requests.get(f"{server.url}/me", headers=headers, timeout=30).json()
    assert me["storage"] == {"quota": 1000, "free": 410}
    staging = user_folder(app.extensions["openeo_gip"].config, alice.id) / ".uploads"
    assert list(staging.iterdir()) == []


def test_a_storage_fault_is_an_openeo_error_and_changes_nothing(server, headers, app, alice):
    assert requests.put(f"{server.url}/files/keep.txt", data=b"original", headers=headers, timeout=30).ok
    # As root no permission can make the write fail: a file where the staging folder goes does.
    staging = user_folder(app.extensions["openeo_gip"].config, alice.id) / ".uploads"
    staging.rmdir()
    staging.write_bytes(b"")
    response = requests.put(f"{server.url}/files/keep.txt", data=b"new", headers=headers, timeout=30)
    assert response.status_code == 500 and response.json()["code"] == "StorageFailure"
    assert "nothing was stored" in response.json()["message"]
    assert requests.get(f"{server.url}/files/keep.txt", headers=headers, timeout=30).content == b"original"


def test_cut_off_upload_leaves_the_old_file(server, headers, app, alice):
    requests.put(f"{server.url}/files/keep.txt", data=b"original", headers=headers, timeout=30)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        head = f"PUT /files/keep.txt HTTP/1.1\r\nHost: x\r\nAuthorization: {headers['Authorization']}\r\n"
        sock.sendall((head + "Content-Length: 100000\r\n\r\n").encode() + b"partial")
    got = requests.get(f"{server.url}/files/keep.txt", headers=headers, timeout=30)
    assert got.content == b"original"


def test_store_keeps_the_old_file_when_the_stream_ends_early(tmp_path):
    root = tmp_path / "files"
    root.mkdir()
    target = root / "data.bin"
    target.write_bytes(b"old")
    stream = LimitedStream(io.BytesIO(b"only ten b"), 1000)  # what WSGI servers hand over
    with pytest.raises(Exception):  # noqa: B017 - werkzeug's ClientDisconnected, whatever its base
        quota = UserQuota(tmp_path, limit=10**6)
        store(root, target, stream, length=1000, staging=tmp_path / "staging", max_file=10**6, quota=quota)
    assert target.read_bytes() == b"old"
    assert list((tmp_path / "staging").iterdir()) == []


def test_users_never_see_each_others_files(server, headers, app):
    add_user(app, "bob", "bobs password")
    bob = bearer_for(server.url, "bob", "bobs password")
    requests.put(f"{server.url}/files/private.txt", data=b"alice only", headers=headers, timeout=30)
    assert requests.get(f"{server.url}/files", headers=bob, timeout=30).json()["files"] == []
    for method in ("GET", "DELETE"):
        response = requests.request(method, f"{server.url}/files/private.txt", headers=bob, timeout=30)
        assert response.status_code == 404
    own = requests.get(f"{server.url}/files/private.txt", headers=headers, timeout=30)
    assert own.content == b"alice only"
    assert requests.get(f"{server.url}/files", timeout=30).status_code == 401


def test_openeo_client_uploads_lists_and_downloads(server, alice, tmp_path):
    connection = openeo.connect(server.url).authenticate_basic("alice", PASSWORD)
    source = tmp_path / "field.geojson"
    source.write_text('{"type": "FeatureCollection", "features": []}')
    connection.upload_file(source, target="vectors/field.geojson")
    assert [item.path.as_posix() for item in connection.list_files()] == ["vectors/field.geojson"]
    target = tmp_path / "back.geojson"
    connection.get_file("vectors/field.geojson").download(target)
    assert target.read_bytes() == source.read_bytes()
    connection.get_file("vectors/field.geojson").delete()
    assert connection.list_files() == []


def test_names_longer_than_the_file_system_allows_are_path_errors(server, headers, app, alice):
    longest = "é" * 127 + "x"  # 255 bytes in UTF-8: the most one name may have
    assert requests.put(f"{server.url}/files/in/{longest}", data=b"ok", headers=headers, timeout=30).ok
    for path in ("a" * 300, f"in/{'é' * 128}", f"{'b' * 256}/scene.tif"):
        response = requests.put(f"{server.url}/files/{path}", data=b"x", headers=headers, timeout=30)
        assert response.status_code == 400 and response.json()["code"] == "FilePathInvalid", response.text
        assert "255 bytes" in response.json()["message"]
    root = files_folder(app.extensions["openeo_gip"].config, alice.id)
    assert [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()] == [f"in/{longest}"]
