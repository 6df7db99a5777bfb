"""What the server writes is for its own account only (#13): the config of ``init-config`` and ``demo``, the
SQLite database, the signing key, uploads, job results and the cache. Other accounts on the machine (the
students logged in to the same lab server) can read none of it."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from openeo_gip.db import Database
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.slow

DEM = {"process_id": "load_collection", "arguments": {"id": "DEM_DEMO", "spatial_extent": None}}
GRAPH = {
    "load": {**DEM, "arguments": {**DEM["arguments"], "temporal_extent": None}},
    "save": {
        "process_id": "save_result",
        "arguments": {"data": {"from_node": "load"}, "format": "GTiff"},
        "result": True,
    },
}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def cli(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "openeo_gip.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


def test_init_config_writes_a_file_only_its_owner_reads(tmp_path):
    target = tmp_path / "etc" / "config.toml"
    cli("init-config", str(target), cwd=tmp_path)
    assert mode(target) == 0o600
    target.chmod(0o644)
    cli("init-config", str(target), "--force", cwd=tmp_path)
    assert mode(target) == 0o600


def test_demo_writes_its_config_and_database_for_its_owner_only(tmp_path):
    data = tmp_path / "demo" / "data"
    data.mkdir(parents=True)
    (data / "placeholder.txt").write_text("not empty: no demo rasters written")
    cli("demo", "--dir", str(tmp_path / "demo"), "--no-serve", cwd=tmp_path)
    assert mode(tmp_path / "demo" / "config.toml") == 0o600
    assert mode(tmp_path / "demo" / "openeo-gip.db") == 0o600


def test_a_database_readable_by_others_is_closed_when_opened(tmp_path):
    path = tmp_path / "old.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600


def _run_a_job(server: ServerProcess, user: str) -> None:
    headers = server.token(user)
    created = requests.post(
        f"{server.url}/jobs", json={"process": {"process_graph": GRAPH}}, headers=headers, timeout=30
    )
    assert created.status_code == 201, created.text
    job = created.headers["OpenEO-Identifier"]
    assert requests.post(f"{server.url}/jobs/{job}/results", headers=headers, timeout=30).status_code == 202
    deadline = time.monotonic() + 120
    while (
        status := requests.get(f"{server.url}/jobs/{job}", headers=headers, timeout=30).json()["status"]
    ) in {
        "queued",
        "running",
        "created",
    }:
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.5)
    assert status == "finished"
    results = requests.get(f"{server.url}/jobs/{job}/results", headers=headers, timeout=30)
    assert results.status_code == 200 and results.json()["assets"], results.text  # signed links: the key


def test_a_running_server_keeps_what_it_writes_to_itself(tmp_path):
    with ServerProcess(tmp_path / "server") as server:
        headers = server.token("alice")
        upload = requests.put(
            f"{server.url}/files/notes.txt", data=b"alice's notes", headers=headers, timeout=30
        )
        assert upload.status_code == 200, upload.text
        result = requests.post(
            f"{server.url}/result", json={"process": {"process_graph": GRAPH}}, headers=headers
        )
        assert result.status_code == 200, result.text
        _run_a_job(server, "alice")
        written_by_the_test = {server.config_file, server.log, server.folder / "data"}
        written = [
            path
            for path in server.folder.rglob("*")
            if not any(path == mine or mine in path.parents for mine in written_by_the_test)
        ]
        names = {path.name for path in written}
        assert {"openeo-gip.db", "notes.txt", "download-signing.key"} <= names, names
        assert any(path.suffix == ".tif" for path in written), "the job's result is among them"
        open_to_others = [f"{path} {mode(path):o}" for path in written if mode(path) & 0o077]
        for folder in ("workspaces", "cache", "system"):
            assert mode(server.folder / folder) == 0o700
    assert not open_to_others, open_to_others
