"""Collection bundles over HTTP: good ones are unpacked, bad and hostile ones refused with nothing left."""

from __future__ import annotations

import os
import stat
import tarfile
import warnings
import zipfile

import pytest
import requests

from openeo_gip.demodata import synthetic
from openeo_gip.workspace import user_folder
from openeo_gip.workspace.bundles import bundle_folder_name
from tests.conftest import bearer_for, make_config
from tests.support.private_data import (
    DATES,
    folder_entries,
    special_tar_member,
    tar_bytes,
    write_fields,
    zip_bytes,
)

QUOTA = {"storage_bytes": 150_000, "bundle_bytes": 100_000, "bundle_members": 12}


@pytest.fixture
def config(tmp_path, db_url):
    synthetic.write_dem(tmp_path / "data" / "DEM.tif", size=16)
    return make_config(tmp_path, db_url, quota=QUOTA, jobs={"runner_threads": 0})


@pytest.fixture
def headers(server, alice):
    return bearer_for(server.url, "alice")


@pytest.fixture
def fields(tmp_path) -> list[tuple[str, bytes]]:
    write_fields(tmp_path / "fields")
    return folder_entries(tmp_path / "fields")


def _put(server, headers, path: str, payload: bytes) -> requests.Response:
    return requests.put(f"{server.url}/files/{path}", data=payload, headers=headers, timeout=30)


def _stored_files(config, user_id: str) -> list[str]:
    root = user_folder(config, user_id)
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


def _collection_ids(server, headers) -> list[str]:
    listing = requests.get(f"{server.url}/collections", headers=headers, timeout=30).json()
    return [collection["id"] for collection in listing["collections"]]


def _zip_link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _zip_with_duplicate(fields: list[tuple[str, bytes]]) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate we want
        return zip_bytes([*fields, fields[0]])


def _hostile(fields: list[tuple[str, bytes]]) -> dict[str, tuple[str, bytes, str]]:
    """name -> (suffix, archive bytes, expected error code)."""
    toml_only = [entry for entry in fields if entry[0] == "collection.toml"]
    return {
        "parent path in zip": ("zip", zip_bytes([*fields, ("../evil.tif", b"x")]), "FileContentInvalid"),
        "parent path in tar": ("tar.gz", tar_bytes([*fields, ("a/../../evil", b"x")]), "FileContentInvalid"),
        "absolute path in zip": ("zip", zip_bytes([*fields, ("/etc/evil", b"x")]), "FileContentInvalid"),
        "absolute path in tar": ("tgz", tar_bytes([*fields, ("/etc/evil", b"x")]), "FileContentInvalid"),
        "drive letter": ("zip", zip_bytes([*fields, ("C:/evil", b"x")]), "FileContentInvalid"),
        "backslash": ("zip", zip_bytes([*fields, ("a\\..\\evil", b"x")]), "FileContentInvalid"),
        "symlink in tar": (
            "tar.gz",
            tar_bytes(fields, [special_tar_member("passwd", tarfile.SYMTYPE, "/etc/passwd")]),
            "FileContentInvalid",
        ),
        "hardlink in tar": (
            "tar.gz",
            tar_bytes(fields, [special_tar_member("copy.toml", tarfile.LNKTYPE, "collection.toml")]),
            "FileContentInvalid",
        ),
        "device in tar": (
            "tar.gz",
            tar_bytes(fields, [special_tar_member("zero", tarfile.CHRTYPE)]),
            "FileContentInvalid",
        ),
        "fifo in tar": (
            "tar.gz",
            tar_bytes(fields, [special_tar_member("pipe", tarfile.FIFOTYPE)]),
            "FileContentInvalid",
        ),
        "symlink in zip": ("zip", zip_bytes(fields, [_zip_link("passwd")]), "FileContentInvalid"),
        "too many entries": (
            "zip",
            zip_bytes([*fields, *((f"extra/{i}.txt", b"x") for i in range(12))]),
            "FileContentInvalid",
        ),
        "over the bundle limit": (
            "zip",
            zip_bytes([*fields, ("big.bin", bytes(120_000))]),
            "FileSizeExceeded",
        ),
        "twice the same entry": ("zip", _zip_with_duplicate(fields), "FileContentInvalid"),
        "file and folder clash": (
            "tar.gz",
            tar_bytes([*fields, ("data", b"x"), ("data/inner.tif", b"y")]),
            "FileContentInvalid",
        ),
        "no sidecar": (
            "zip",
            zip_bytes([e for e in fields if e[0] != "collection.toml"]),
            "FileContentInvalid",
        ),
        "sidecar with an unknown key": (
            "zip",
            zip_bytes(
                [*[e for e in fields if e[0] != "collection.toml"], ("collection.toml", b"colour = 1")]
            ),
            "FileContentInvalid",
        ),
        "no raster": ("zip", zip_bytes(toml_only), "FileContentInvalid"),
        "a VRT named .tif": (
            "zip",
            zip_bytes([*toml_only, ("x_2024-01-01.tif", b"<VRTDataset></VRTDataset>")]),
            "FileContentInvalid",
        ),
        "not an archive": ("zip", b"this is no archive at all", "FileContentInvalid"),
        "cut-off tar.gz": ("tar.gz", tar_bytes(fields)[:-200], "FileContentInvalid"),
    }


HOSTILE_NAMES = list(_hostile([("collection.toml", b""), ("a.tif", b"")]))


@pytest.mark.parametrize("case", HOSTILE_NAMES)
def test_bad_bundles_are_refused_and_leave_nothing(server, headers, config, alice, fields, case):
    suffix, payload, code = _hostile(fields)[case]
    response = _put(server, headers, f"collections/fields.{suffix}", payload)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code, response.text
    assert _stored_files(config, alice.id) == []
    assert _collection_ids(server, headers) == ["DEM"]


def test_a_refused_bundle_keeps_the_collection_it_would_replace(server, headers, config, alice, fields):
    assert _put(server, headers, "collections/fields.zip", zip_bytes(fields)).status_code == 200
    before = _stored_files(config, alice.id)
    refused = _put(server, headers, "collections/fields.zip", zip_bytes([*fields, ("../evil", b"x")]))
    assert refused.status_code == 400
    assert _stored_files(config, alice.id) == before
    assert _collection_ids(server, headers) == ["DEM", "fields"]


def test_the_quota_counts_the_unpacked_files(server, headers, config, alice, fields):
    first = zip_bytes([*fields, ("big.bin", bytes(90_000))])
    assert _put(server, headers, "collections/first.zip", first).status_code == 200
    second = _put(server, headers, "collections/second.zip", first)
    assert second.status_code == 400 and second.json()["code"] == "StorageQuotaExceeded"
    # Replacing the first one frees its space.
    assert _put(server, headers, "collections/first.zip", first).status_code == 200
    assert _collection_ids(server, headers) == ["DEM", "first"]


def test_hidden_entries_of_packing_tools_are_skipped(server, headers, config, alice, fields):
    extras = [("__MACOSX/._collection.toml", b"x"), (".DS_Store", b"x"), ("./.hidden/x.tif", b"x")]
    response = _put(server, headers, "collections/fields.zip", zip_bytes([*fields, *extras]))
    assert response.status_code == 200, response.text
    assert response.json()["path"] == "collections/fields"
    assert _stored_files(config, alice.id) == [
        "files/collections/fields/collection.toml",
        *(f"files/collections/fields/field_{date}.tif" for date in DATES),
    ]


def test_archives_elsewhere_are_plain_files(server, headers, config, alice, fields):
    payload = zip_bytes(fields)
    response = _put(server, headers, "archive/fields.zip", payload)
    assert response.status_code == 200 and response.json()["size"] == len(payload)
    assert _stored_files(config, alice.id) == ["files/archive/fields.zip"]
    assert _collection_ids(server, headers) == ["DEM"]


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (["collections", "a.zip"], "a"),
        (["collections", "a.b.TAR.GZ"], "a.b"),
        (["collections", "a.tgz"], "a"),
        (["collections", "a.tar"], "a"),
        (["collections", "a.tif"], None),
        (["collections", "sub", "a.zip"], None),
        (["a.zip"], None),
    ],
)
def test_which_uploads_are_bundles(parts, name):
    assert bundle_folder_name(parts) == name


def test_an_entry_name_too_long_for_the_file_system_is_refused(server, headers, config, alice, fields):
    name = "n" * 300 + ".tif"
    response = _put(server, headers, "collections/fields.zip", zip_bytes([*fields, (f"data/{name}", b"x")]))
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert response.json()["code"] == "FileContentInvalid"
    assert f"entry 'data/{name}' has an unusable name" in message and "255 bytes" in message, message
    assert _stored_files(config, alice.id) == []


def test_a_file_named_collections_refuses_a_bundle_before_storing_it(server, headers, config, alice, fields):
    assert _put(server, headers, "collections", b"just a file").status_code == 200
    response = _put(server, headers, "collections/fields.zip", zip_bytes(fields))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "FilePathInvalid" and "'collections'" in response.json()["message"]
    assert _stored_files(config, alice.id) == ["files/collections"]
    assert _collection_ids(server, headers) == ["DEM"]


def test_a_file_where_the_collection_folder_goes_is_refused(server, headers, config, alice, fields):
    assert _put(server, headers, "collections/fields", b"just a file").status_code == 200
    response = _put(server, headers, "collections/fields.zip", zip_bytes(fields))
    assert response.status_code == 400 and response.json()["code"] == "FileOperationUnsupported"
    assert _stored_files(config, alice.id) == ["files/collections/fields"]
