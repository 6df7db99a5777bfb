"""Users' regular expressions (#13): a private collection's ``file_pattern`` runs without backtracking, so a
catastrophic pattern cannot hold the server; patterns the engine cannot run are refused at upload."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import requests
from affine import Affine

from openeo_gip.demodata import synthetic
from tests.support.private_data import zip_bytes
from tests.support.server_process import assert_openeo_error, assert_still_serving

pytestmark = pytest.mark.slow

# Python's re tries every way of splitting the a's among the groups before it gives up: 2**40 steps.
CATASTROPHIC = "^(a+)+$"
NEAR_MATCH = "a" * 40 + "!"


def _bundle(tmp_path, pattern: str, stem: str) -> bytes:
    raster = tmp_path / f"{stem}.tif"
    values = np.arange(64, dtype="float32").reshape(8, 8)
    synthetic.write_cog(
        raster, values, Affine(10, 0, 500_000, 0, -10, 5_800_000), "EPSG:32631", -9999.0, "B1"
    )
    sidecar = f"title = 'Hostile'\nfile_pattern = '{pattern}'\n".encode()
    return zip_bytes([("collection.toml", sidecar), (raster.name, raster.read_bytes())])


def _upload(server, name: str, payload: bytes) -> requests.Response:
    url = f"{server.url}/files/collections/{name}.zip"
    return requests.put(url, data=payload, headers=server.token("alice"), timeout=60)


def test_a_catastrophic_file_pattern_does_not_hold_the_server(hostile_server, tmp_path):
    payload = _bundle(tmp_path, CATASTROPHIC, NEAR_MATCH)
    answers: list[requests.Response] = []
    upload = threading.Thread(target=lambda: answers.append(_upload(hostile_server, "hostile", payload)))
    upload.start()
    try:
        started = time.monotonic()
        while upload.is_alive() and time.monotonic() - started < 5:  # while the bundle is being checked
            assert_still_serving(hostile_server)
            time.sleep(0.1)
    finally:
        upload.join(timeout=60)
    assert answers and answers[0].status_code == 200, answers[0].text if answers else "no answer"
    listed = requests.get(
        f"{hostile_server.url}/collections", headers=hostile_server.token("alice"), timeout=5
    )
    assert "hostile" in [collection["id"] for collection in listed.json()["collections"]]
    assert_still_serving(hostile_server)


def test_a_pattern_the_engine_cannot_run_is_refused_with_the_reason(hostile_server, tmp_path):
    response = _upload(hostile_server, "lookbehind", _bundle(tmp_path, r"(?<=_)(?P<band>\w+)", "x_B1"))
    body = assert_openeo_error(response, 400, "FileContentInvalid")
    assert "look-around" in body["message"] and "(?<=" in body["message"]
    assert_still_serving(hostile_server)
