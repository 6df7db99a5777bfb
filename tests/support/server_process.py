"""A real ``openeo-gip serve`` in its own process, for requests that might crash, freeze or exhaust it.

Hostile tests send their request to this server, then check two things: the client got a clear openEO
error, and the server still answers someone else within a second (``assert_still_serving``). A crash of
this process cannot take the test run with it, as it would with a server inside the pytest process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from openeo_gip.auth.passwords import hash_password
from openeo_gip.db import Database, accounts
from openeo_gip.demodata import synthetic
from tests.conftest import PASSWORD, free_port

# Small enough that a test's own data costs nothing, large enough for tiles and chunks to matter.
DEMO_SIZE = 64


class ServerProcess:
    """``openeo-gip serve`` on a free loopback port, with a SQLite database, the tiny demo data and users.

    ``sections`` are config sections written into its config.toml (``{"udf": {"cpu_seconds": 5}}``);
    ``config_text`` is TOML added after them, for what a section of plain keys cannot say (arrays of
    tables such as ``[[auth.oidc_providers]]``)."""

    def __init__(
        self,
        folder: Path,
        users=("alice", "bob"),
        sections: dict | None = None,
        demo_data=True,
        config_text: str = "",
    ):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.users = users
        self.sections = {
            "server": {"public_url": self.url},
            "paths": {
                "data_root": "data",
                "workspaces": "workspaces",
                "system_files": "system",
                "cache": "cache",
            },
            "database": {"url": f"sqlite:///{folder / 'openeo-gip.db'}"},
            "dask": {"n_workers": 1, "threads_per_worker": 2, "memory_limit": "4GiB"},
        }
        for name, values in (sections or {}).items():
            self.sections[name] = {**self.sections.get(name, {}), **values}
        self.demo_data = demo_data
        self.config_text = config_text
        self.log = folder / "server.log"
        self._process: subprocess.Popen | None = None
        self._tokens: dict[str, dict[str, str]] = {}

    @property
    def config_file(self) -> Path:
        return self.folder / "config.toml"

    def __enter__(self) -> ServerProcess:
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for section, values in self.sections.items():
            lines.append(f"[{section}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]  # JSON is TOML here
        self.config_file.write_text("\n".join(lines) + "\n" + self.config_text, encoding="utf-8")
        if self.demo_data:
            synthetic.write_demo_data(self.folder / "data", small=True)
        db = Database(self.sections["database"]["url"])
        db.upgrade()
        for name in self.users:
            accounts.add_user(db, name, hash_password(PASSWORD))
        db.dispose()
        self.start()
        return self

    def start(self) -> None:
        """Starts (or restarts, after a test killed it) the server and waits until it answers."""
        command = [sys.executable, "-m", "openeo_gip.cli", "--config", str(self.config_file)]
        command += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log, "ab") as log:
            # Its own session: the test can end the server and whatever it started as one group.
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(
                    f"server ended at start:\n{self.log.read_text(errors='replace')[-3000:]}"
                )
            try:
                requests.get(self.url + "/", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("server did not answer within 60 s")

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not started"
        return self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __exit__(self, *exc) -> None:
        if self._process is None:
            return
        try:
            os.killpg(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)

    def token(self, name: str = "alice") -> dict[str, str]:
        """The Authorization header of ``name``, logged in with Basic once per server."""
        if name in self._tokens:
            return self._tokens[name]
        response = requests.get(f"{self.url}/credentials/basic", auth=(name, PASSWORD), timeout=30)
        response.raise_for_status()
        self._tokens[name] = {"Authorization": f"Bearer basic//{response.json()['access_token']}"}
        return self._tokens[name]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def send_json(server: ServerProcess, path: str, body, method: str = "POST") -> requests.Response:
    """``body`` sent as alice's JSON request: a dict is encoded; text, bytes or an iterator of chunks are sent
    as they are (NaN, nesting Python's encoder refuses, chunked bodies)."""
    data = json.dumps(body) if isinstance(body, dict) else body
    headers = {**server.token("alice"), "Content-Type": "application/json"}
    return requests.request(method, server.url + path, data=data, headers=headers, timeout=60)


def assert_still_serving(server: ServerProcess, within: float = 1.0) -> None:
    """The server process is alive and answers another user's request in ``within`` seconds."""
    assert server.alive(), f"the server died:\n{server.log_text()[-3000:]}"
    started = time.monotonic()
    response = requests.get(f"{server.url}/collections", headers=server.token("bob"), timeout=within + 5)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert elapsed < within, f"the server took {elapsed:.2f} s to answer"


def assert_openeo_error(response: requests.Response, status: int, code: str | None = None) -> dict:
    """``response`` is an openEO error with ``status`` (and ``code``): ``id``, ``code`` and a ``message``."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:2000]}"
    body = response.json()
    assert {"id", "code", "message"} <= body.keys(), body
    if code is not None:
        assert body["code"] == code, body
    return body
