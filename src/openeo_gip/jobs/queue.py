"""The queue is the ``jobs`` table: a queued job is claimed by exactly one worker, within the limits.

Several server and worker processes may share one database. On PostgreSQL a claim takes a transaction-level
advisory lock (so the running-job counts it checks cannot change under it) and the row with
``FOR UPDATE SKIP LOCKED``; on SQLite the claim is one guarded UPDATE, which SQLite runs under its single
write lock, so the counts in its conditions are exact there too.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.orm import Session, aliased

from openeo_gip.db import Database
from openeo_gip.db.models import Job, utcnow
from openeo_gip.jobs.store import set_status, write_log

# Any constant shared by all processes: the advisory lock that serialises claims on PostgreSQL.
_CLAIM_LOCK = 0x6F70656F
# A job is started at most this often; a job stopped twice by a crash or restart ends in error.
MAX_ATTEMPTS = 2


def new_worker_id() -> str:
    """Names the worker in ``jobs.worker``: this host and process, plus a random part for this runner."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Limits:
    max_running: int
    max_running_per_user: int


def claim_next(db: Database, worker_id: str, limits: Limits) -> Job | None:
    """Mark the oldest queued job whose owner is under the limits as running by ``worker_id``."""
    with db.session() as session:
        if session.bind.dialect.name == "postgresql":
            return _claim_postgresql(session, worker_id, limits)
        return _claim_guarded(session, worker_id, limits)


def _running_count():
    # An alias: inside the UPDATE of ``jobs`` a plain ``Job`` would mean the row being updated.
    other = aliased(Job)
    return select(func.count()).select_from(other).where(other.status == "running").scalar_subquery()


def _running_of(user_id):
    other = aliased(Job)
    return (
        select(func.count())
        .select_from(other)
        .where(other.status == "running", other.user_id == user_id)
        .scalar_subquery()
    )


def _started_values(worker_id: str) -> dict:
    now = utcnow()
    return {
        "status": "running",
        "worker": worker_id,
        "heartbeat": now,
        "started": now,
        "updated": now,
        "progress": 0.0,
        "attempts": Job.attempts + 1,
    }


def _claim_guarded(session: Session, worker_id: str, limits: Limits) -> Job | None:
    candidates = session.scalars(
        select(Job.id).where(Job.status == "queued").order_by(Job.queued_at, Job.id).limit(50)
    ).all()
    for job_id in candidates:
        result = session.execute(
            update(Job)
            .where(
                and_(
                    Job.id == job_id,
                    Job.status == "queued",
                    _running_count() < limits.max_running,
                    _running_of(Job.user_id) < limits.max_running_per_user,
                )
            )
            .values(**_started_values(worker_id))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session.commit()
            return session.get(Job, job_id, populate_existing=True)
        session.commit()  # release SQLite's write lock between attempts
    return None


def _claim_postgresql(session: Session, worker_id: str, limits: Limits) -> Job | None:
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
    running = session.scalar(select(func.count()).select_from(Job).where(Job.status == "running")) or 0
    if running >= limits.max_running:
        return None
    busy = select(Job.user_id).where(Job.status == "running").group_by(Job.user_id)
    busy = busy.having(func.count() >= limits.max_running_per_user)
    job = session.scalars(
        select(Job)
        .where(Job.status == "queued", Job.user_id.not_in(busy))
        .order_by(Job.queued_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is None:
        return None
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(**_started_values(worker_id))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return session.get(Job, job.id, populate_existing=True)


def beat(db: Database, job_id: str, worker_id: str, progress: float) -> bool:
    """Note that ``worker_id`` still runs ``job_id`` (its heartbeat) and how far it is; False when the job
    no longer runs there (canceled or deleted through another process)."""
    with db.session() as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running", Job.worker == worker_id)
            .values(heartbeat=utcnow(), progress=progress)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1


def requeue(db: Database, job_id: str, worker_id: str) -> bool:
    """Put a job ``worker_id`` stops running (its server shuts down) back in the queue, giving back the
    attempt it used; False when the job no longer runs there."""
    return set_status(
        db,
        job_id,
        "queued",
        expected=("running",),
        by_worker=worker_id,
        attempts=Job.attempts - 1,
        worker=None,
    )


def _worker_gone(worker: str | None) -> bool:
    """True when ``worker`` ran on this host in a process that no longer exists."""
    host, _, rest = (worker or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_orphans(db: Database, stale_seconds: float) -> list[str]:
    """Running jobs whose worker stopped (its process is gone, or it is silent for ``stale_seconds``):
    queued again once, or failed with a log entry when they already had their second start."""
    limit = utcnow() - timedelta(seconds=stale_seconds)
    with db.session() as session:
        running = session.execute(
            select(Job.id, Job.worker, Job.heartbeat, Job.attempts).where(Job.status == "running")
        ).all()
    recovered = []
    for job_id, worker, heartbeat, attempts in running:
        if not (_worker_gone(worker) or heartbeat is None or heartbeat < limit):
            continue
        retry = attempts < MAX_ATTEMPTS
        values = {"status": "queued", "queued_at": utcnow()} if retry else {"status": "error"}
        with db.session() as session:
            # Guarded by the worker seen above: a job claimed again meanwhile is left alone.
            done = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "running", Job.worker == worker)
                .values(**values, progress=0.0, worker=None, updated=utcnow())
                .execution_options(synchronize_session=False)
            )
        if done.rowcount != 1:
            continue
        recovered.append(job_id)
        if retry:
            write_log(db, job_id, "warning", "The server running this job stopped; the job was queued again.")
        else:
            write_log(
                db,
                job_id,
                "error",
                "The server running this job stopped during its second attempt; the job was not retried.",
                code="JobInterrupted",
            )
    return recovered
