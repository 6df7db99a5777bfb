"""Claiming queued jobs under concurrency and recovering jobs after a restart, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from openeo_gip.app import create_app
from openeo_gip.db import Database
from openeo_gip.db.models import Job, JobLog, utcnow
from openeo_gip.jobs.queue import Limits, claim_next, new_worker_id, recover_orphans
from openeo_gip.jobs.store import set_status
from tests.conftest import add_user, close_app
from tests.jobs.conftest import load_graph

pytestmark = [pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True), pytest.mark.slow]


@pytest.fixture
def db(app):
    """The test app's database, its runner stopped so that only the test claims jobs."""
    services = app.extensions["openeo_gip"]
    services.jobs.stop()
    return services.db


def _queue(db: Database, user_ids: list[str], count: int) -> list[str]:
    ids = []
    with db.session() as session:
        for number in range(count):
            job = Job(
                user_id=user_ids[number % len(user_ids)],
                process=load_graph(),
                status="queued",
                queued_at=utcnow() + timedelta(microseconds=number),
            )
            session.add(job)
            session.flush()
            ids.append(job.id)
    return ids


def test_each_job_is_claimed_once_within_the_limits(app, db):
    users = [add_user(app, f"user{n}").id for n in range(3)]
    ids = _queue(db, users, 24)
    limits = Limits(max_running=4, max_running_per_user=2)
    claims: Counter[str] = Counter()
    running: dict[str, str] = {}
    problems: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        worker = new_worker_id()
        idle_rounds = 0
        while idle_rounds < 20:
            job = claim_next(db, worker, limits)
            if job is None:
                idle_rounds += 1
                time.sleep(0.01)
                continue
            idle_rounds = 0
            with lock:
                claims[job.id] += 1
                running[job.id] = job.user_id
                per_user = Counter(running.values())
                if len(running) > limits.max_running or max(per_user.values()) > limits.max_running_per_user:
                    problems.append(f"over the limits: {dict(per_user)}")
            with db.session() as session:
                in_db = session.scalar(select(func.count()).select_from(Job).where(Job.status == "running"))
            if in_db > limits.max_running:
                problems.append(f"{in_db} running in the database")
            time.sleep(0.02)
            with lock:
                del running[job.id]
            assert set_status(db, job.id, "finished", expected=("running",), by_worker=worker)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert problems == []
    assert sorted(claims) == sorted(ids) and set(claims.values()) == {1}
    with db.session() as session:
        statuses = set(session.scalars(select(Job.status)))
        attempts = set(session.scalars(select(Job.attempts)))
    assert statuses == {"finished"} and attempts == {1}


def _dead_worker() -> str:
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:dead"


def test_restart_requeues_interrupted_jobs_once(app, db, config, alice):
    """A second app on the same database: queued jobs run, jobs of a dead worker run again once, a job
    stopped on its second attempt fails with a log entry, and a live worker's job is left alone."""
    (queued,) = _queue(db, [alice.id], 1)
    interrupted, twice, alive, silent = _queue(db, [alice.id], 4)
    now = utcnow()
    rows = {
        interrupted: {"worker": _dead_worker(), "attempts": 1, "heartbeat": now},
        twice: {"worker": _dead_worker(), "attempts": 2, "heartbeat": now},
        alive: {"worker": f"{socket.gethostname()}:{os.getpid()}:other", "attempts": 1, "heartbeat": now},
        silent: {"worker": "elsewhere:1:x", "attempts": 1, "heartbeat": now - timedelta(hours=1)},
    }
    for job_id, values in rows.items():
        assert set_status(db, job_id, "running", expected=("queued",), **values)

    restarted = create_app(config)
    try:
        deadline = time.monotonic() + 60
        while True:
            with db.session() as session:
                status = dict(session.execute(select(Job.id, Job.status)).all())
            if all(status[j] in ("finished", "error") for j in (queued, interrupted, twice, silent)):
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert status[queued] == status[interrupted] == status[silent] == "finished"
        assert status[twice] == "error" and status[alive] == "running"
        with db.session() as session:
            attempts = dict(session.execute(select(Job.id, Job.attempts)).all())
            logs = {
                job_id: [
                    entry.message for entry in session.scalars(select(JobLog).where(JobLog.job_id == job_id))
                ]
                for job_id in (interrupted, twice)
            }
        assert attempts[interrupted] == 2 and attempts[queued] == 1
        assert any("queued again" in message for message in logs[interrupted])
        assert any("second attempt" in message for message in logs[twice])
    finally:
        close_app(restarted)


def test_a_live_recent_worker_keeps_its_job(app, db, alice):
    (job_id,) = _queue(db, [alice.id], 1)
    job = claim_next(db, new_worker_id(), Limits(1, 1))
    assert job.id == job_id and job.status == "running" and job.attempts == 1
    assert claim_next(db, new_worker_id(), Limits(1, 1)) is None  # nothing else queued
    assert recover_orphans(db, stale_seconds=60) == []  # its worker (this process) is alive and recent
    assert recover_orphans(db, stale_seconds=0.000001) == [job_id]  # silent for longer than allowed
    with db.session() as session:
        assert session.get(Job, job_id).status == "queued"
