"""Shared fixtures: a config in a temporary folder, the app, a live HTTP server, accounts, a Dask cluster."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import openeo
import pytest
import requests
from flask import Flask

from openeo_gip.app import create_app
from openeo_gip.auth.passwords import hash_password
from openeo_gip.config import Config, DaskConfig, load_config
from openeo_gip.db import User
from openeo_gip.engine.cluster import DaskCluster
from tests.support.databases import postgres_database
from tests.support.live_server import LiveServer

# Fixtures of tests/support that any test folder may use.
pytest_plugins = ["tests.support.oidc_provider"]

PASSWORD = "correct horse battery staple"
# The ``remote`` section for tests whose web servers (tests/support/static_http.py) listen on 127.0.0.1,
# an address the default configuration refuses to fetch.
LOOPBACK_ALLOWED = {"allow_private_addresses": True}


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path) -> Iterator[str]:
    """The database of a test; persistence tests parametrize this with "postgresql" too."""
    if request.param == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'openeo-gip.db'}"


def make_config(tmp_path, db_url: str, **sections) -> Config:
    """A config whose folders live under ``tmp_path``; ``sections`` override keys per section."""
    environ = {"OPENEO_GIP_DATABASE__URL": db_url}
    config = load_config(None, environ=environ).model_copy(update={"base_dir": tmp_path})
    data = config.model_dump()
    data["paths"] = {
        "data_root": "data",
        "workspaces": "workspaces",
        "system_files": "system",
        "cache": "cache",
    }
    for section, values in sections.items():
        data[section] = {**data.get(section, {}), **values}
    return Config(**data).resolved()


def write_config_file(config: Config, path: Path, sections=("paths", "database", "jobs", "dask")) -> Path:
    """``config``'s ``sections`` as a TOML file, for the server and worker processes tests start."""
    data = config.model_dump(mode="json")
    lines = []
    for section in sections:
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in data[section].items()]  # JSON is TOML here
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def dask_client():
    """One Dask cluster for the tests that compute on it directly (writers, the cluster itself).

    It becomes dask's default scheduler for the rest of the session, so later tests compute on it too.
    Its worker lives in this process and pauses when the whole process passes 80 % of the limit (the
    pytest process grows to about 900 MB late in the suite): 1 GiB hung tests/raster once."""
    cluster = DaskCluster(DaskConfig(n_workers=1, threads_per_worker=2, memory_limit="6GiB"))
    yield cluster.client()
    cluster.close()


@pytest.fixture
def config(tmp_path, db_url) -> Config:
    return make_config(tmp_path, db_url)


@pytest.fixture
def app(config):
    app = create_app(config)
    yield app
    close_app(app)


def close_app(app: Flask) -> None:
    """Stop what ``create_app`` started: the job runner (if any), the cluster, the database's pool."""
    services = app.extensions["openeo_gip"]
    if services.jobs is not None:  # None: jobs were left to workers
        services.jobs.stop()
    services.cluster.close()
    services.db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def server(app) -> Iterator[LiveServer]:
    with LiveServer(app) as live:
        yield live


def add_user(app, name: str, password: str = PASSWORD) -> User:
    with app.extensions["openeo_gip"].db.session() as session:
        user = User(name=name, password_hash=hash_password(password))
        session.add(user)
    return user


@pytest.fixture
def alice(app) -> User:
    return add_user(app, "alice")


@pytest.fixture
def connection(server, alice) -> openeo.Connection:
    """The real openEO Python client, logged in as alice (no client-side validation round trip)."""
    return openeo.connect(server.url, auto_validate=False).authenticate_basic("alice", PASSWORD)


def bearer_for(base_url: str, name: str, password: str = PASSWORD) -> dict[str, str]:
    response = requests.get(f"{base_url}/credentials/basic", auth=(name, password), timeout=30)
    response.raise_for_status()
    return {"Authorization": f"Bearer basic//{response.json()['access_token']}"}
