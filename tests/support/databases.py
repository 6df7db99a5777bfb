"""Test databases: a file SQLite per test, and a throw-away PostgreSQL database when one is configured.

PostgreSQL tests run when ``OPENEO_GIP_TEST_POSTGRES`` names a server URL (``.ci/run`` sets it); they are
skipped, with that reason, otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "OPENEO_GIP_TEST_POSTGRES"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"PostgreSQL tests skipped: set {POSTGRES_ENV} to a server URL to run them")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"openeo_gip_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
