"""Writes of one user that run at the same time never store more than the storage quota together: each
reserves its bytes under the user's lock before writing them (workspace/quota.py)."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from openeo_gip.workspace import storage_used, user_folder
from openeo_gip.workspace.scratch import STAGING
from tests.conftest import bearer_for, make_config
from tests.support.private_data import folder_entries, write_fields, zip_bytes

pytestmark = pytest.mark.slow

MB = 1024 * 1024
QUOTA = 200 * MB


@pytest.fixture
def config(tmp_path, db_url):
    limits = {"storage_bytes": QUOTA, "file_bytes": QUOTA, "bundle_bytes": QUOTA}
    return make_config(tmp_path, db_url, quota=limits, jobs={"runner_threads": 0})


def test_an_upload_while_a_bundle_unpacks_cannot_pass_the_quota_with_it(server, config, alice, tmp_path):
    headers = bearer_for(server.url, "alice")
    write_fields(tmp_path / "fields")
    # 180 MB of notes that compress to almost nothing: the archive is small, what it unpacks is not.
    bundle = zip_bytes([*folder_entries(tmp_path / "fields"), ("notes.bin", bytes(180 * MB))])
    answers: dict[str, requests.Response] = {}

    def put(name: str, path: str, payload: bytes) -> None:
        answers[name] = requests.put(f"{server.url}/files/{path}", data=payload, headers=headers, timeout=60)

    unpacking = threading.Thread(target=put, args=("bundle", "collections/fields.zip", bundle))
    unpacking.start()
    staging = user_folder(config, alice.id) / STAGING
    deadline = time.monotonic() + 30
    while not any(path.stat().st_size for path in staging.rglob("notes.bin")) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert unpacking.is_alive(), "the bundle was unpacked before the test could upload beside it"
    put("upload", "other.bin", bytes(30 * MB))  # while the bundle still unpacks
    unpacking.join()

    assert storage_used(config, alice.id) <= QUOTA
    statuses = sorted(answers[name].status_code for name in ("bundle", "upload"))
    assert statuses == [200, 400], {name: answer.text for name, answer in answers.items()}
    refused = next(answer for answer in answers.values() if answer.status_code == 400)
    assert refused.json()["code"] == "StorageQuotaExceeded"
