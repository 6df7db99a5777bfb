"""The tile counts of services (their usage), written to the database in batches."""

from __future__ import annotations

import dataclasses
import time

import pytest

from openeo_gip.db import Database
from openeo_gip.db.accounts import add_user
from openeo_gip.db.models import Service
from openeo_gip.db.services import create_service, delete_service
from openeo_gip.services.usage import TileCounts


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    database.upgrade()
    yield database
    database.dispose()


def new_service(db: Database, user_id: str) -> str:
    return create_service(db, user_id, {"type": "XYZ", "process": {"process_graph": {}}}).id


def tiles_rendered(db: Database, service_id: str) -> int:
    with db.session() as session:
        return session.get(Service, service_id).tiles_rendered


def test_counts_are_written_together_once(db):
    user = add_user(db, "ann", "hash")
    first, second = new_service(db, user.id), new_service(db, user.id)
    counts = TileCounts(db, delay=3600)
    for service_id in (first, first, second, first):
        counts.add(service_id)
    assert (tiles_rendered(db, first), tiles_rendered(db, second)) == (0, 0)  # not one commit per tile

    counts.write()
    counts.write()  # nothing left: no count twice
    assert (tiles_rendered(db, first), tiles_rendered(db, second)) == (3, 1)
    counts.add(second)
    counts.write()
    assert (tiles_rendered(db, first), tiles_rendered(db, second)) == (3, 2)


def test_counts_reach_the_database_without_a_write_call(db):
    service_id = new_service(db, add_user(db, "ann", "hash").id)
    counts = TileCounts(db, delay=0.05)
    counts.add(service_id)
    counts.add(service_id)
    deadline = time.monotonic() + 30
    while tiles_rendered(db, service_id) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tiles_rendered(db, service_id) == 2


def test_the_count_of_a_deleted_service_is_dropped(db):
    user = add_user(db, "ann", "hash")
    gone, kept = new_service(db, user.id), new_service(db, user.id)
    counts = TileCounts(db, delay=3600)
    counts.add(gone)
    counts.add(kept)
    delete_service(db, gone)
    counts.write()
    assert tiles_rendered(db, kept) == 1


def test_a_stopping_server_writes_the_counts_left(app, alice):
    services = app.extensions["openeo_gip"]
    service_id = new_service(services.db, alice.id)
    services.tile_counts.add(service_id)
    services.close()
    assert tiles_rendered(services.db, service_id) == 1


def test_a_copy_of_the_services_counts_into_the_same_counts(app):
    services = app.extensions["openeo_gip"]
    assert dataclasses.replace(services, catalog=None).tile_counts is services.tile_counts
