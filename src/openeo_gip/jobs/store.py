"""Jobs and their logs in the database.

A job's status changes in two modules only: here, through ``set_status`` (the API starting, canceling or
editing a job, the runner ending one), and in the queue (jobs/queue.py), which claims queued jobs and
requeues or fails those whose worker stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from openeo_gip.db import Database
from openeo_gip.db.logs import level_rank, read_log_page
from openeo_gip.db.models import Job, JobLog, utcnow
from openeo_gip.errors import ApiError

log = logging.getLogger(__name__)

# Statuses in which a job's definition is being used and must not change.
ACTIVE = ("queued", "running")
# Statuses a job can be started (again) from.
STARTABLE = ("created", "finished", "error", "canceled")


def owned_job(db: Database, job_id: str, user_id: str) -> Job:
    """The job ``job_id`` of ``user_id``; ``JobNotFound`` for anyone else's job, so ids reveal nothing."""
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.user_id != user_id:
            raise ApiError("JobNotFound", identifier=job_id)
        return job


def find_job(db: Database, job_id: str) -> Job | None:
    """The job ``job_id`` whoever owns it (a signed link names no user), or ``None``."""
    with db.session() as session:
        return session.get(Job, job_id)


def list_jobs(db: Database, user_id: str, limit: int | None, offset: int) -> tuple[list[Job], int]:
    """One page of the user's jobs, newest first, and how many there are in all."""
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(Job).where(Job.user_id == user_id)) or 0
        query = select(Job).where(Job.user_id == user_id).order_by(Job.created.desc(), Job.id).offset(offset)
        if limit:
            query = query.limit(limit)
        return list(session.scalars(query)), total


def job_counts(db: Database) -> dict[str, dict[str, int]]:
    """How many jobs each user has in each status, for the administrator's view."""
    with db.session() as session:
        query = select(Job.user_id, Job.status, func.count()).group_by(Job.user_id, Job.status)
        counts: dict[str, dict[str, int]] = {}
        for user_id, status, count in session.execute(query):
            counts.setdefault(user_id, {})[status] = count
        return counts


def active_jobs(db: Database) -> list[Job]:
    """Every user's queued and running jobs, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(Job).where(Job.status.in_(ACTIVE)).order_by(Job.created, Job.id)))


def create_job(db: Database, user_id: str, fields: dict[str, Any]) -> Job:
    with db.session() as session:
        job = Job(user_id=user_id, **fields)
        session.add(job)
        session.flush()
        return job


def set_status(
    db: Database,
    job_id: str,
    status: str,
    *,
    expected: tuple[str, ...],
    by_worker: str | None = None,
    **values: Any,
) -> bool:
    """Move the job to ``status`` only if it is in one of ``expected`` (and run by ``by_worker`` when given):
    one guarded UPDATE, so two processes never both make the same transition. True when this call did."""
    values.setdefault("updated", utcnow())
    conditions = [Job.id == job_id, Job.status.in_(expected)]
    if by_worker is not None:
        conditions.append(Job.worker == by_worker)
    with db.session() as session:
        result = session.execute(
            update(Job)
            .where(*conditions)
            .values(status=status, **values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def delete_job(db: Database, job_id: str) -> None:
    """Delete the job and its log; gone already is fine."""
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is not None:
            session.delete(job)


def recent_usages(db: Database, limit: int) -> list[dict]:
    """The ``usage`` of the ``limit`` jobs of everyone that finished last."""
    with db.session() as session:
        return list(
            session.scalars(
                select(Job.usage)
                .where(Job.status == "finished", Job.usage.is_not(None))
                .order_by(Job.finished.desc())
                .limit(limit)
            )
        )


def write_log(
    db: Database,
    job_id: str,
    level: str,
    message: str,
    *,
    code: str | None = None,
    data: Any = None,
    path: list | None = None,
    time: datetime | None = None,
) -> None:
    try:
        with db.session() as session:
            session.add(
                JobLog(
                    job_id=job_id,
                    level=level,
                    message=message,
                    code=code,
                    data=data,
                    path=path,
                    time=time or utcnow(),
                )
            )
    except Exception:  # a log entry is never worth failing the job for (e.g. the job was just deleted)
        log.warning("could not store a log entry of job %s", job_id, exc_info=True)


def read_logs(
    db: Database, job_id: str, *, after: int, level: str, limit: int | None
) -> tuple[list[JobLog], bool]:
    """Entries after id ``after`` at ``level`` or more severe; and whether more follow this page."""
    return read_log_page(db, JobLog, JobLog.job_id == job_id, after=after, level=level, limit=limit)


class JobLogger(logging.LoggerAdapter):
    """A logger for the engine and ``inspect`` that also stores entries at or above the job's level.

    ``ctx.log.warning("message", extra={"data": ..., "code": ..., "path": [...]})`` keeps data and path.
    Exceptions' tracebacks go to the server log only; users see the message.
    """

    _NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning"}

    def __init__(
        self, db: Database, job_id: str, min_level: str, shown: Callable[[str], str] = lambda text: text
    ):
        super().__init__(logging.getLogger("openeo_gip.jobs.job"), {"job_id": job_id})
        self.db = db
        self.job_id = job_id
        self.min_level = min_level
        self.shown = shown  # what the stored entry may say (e.g. no server paths)

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        name = self._NAMES.get(level, "error" if level >= logging.ERROR else "debug")
        text = str(msg) % args if args else str(msg)
        if level_rank(name) >= level_rank(self.min_level):
            extra = kwargs.get("extra") or {}
            write_log(
                self.db,
                self.job_id,
                name,
                self.shown(text),
                code=extra.get("code"),
                data=extra.get("data"),
                path=extra.get("path"),
            )
        kwargs.pop("extra", None)
        super().log(level, "job %s: %s", self.job_id, text, **kwargs)
