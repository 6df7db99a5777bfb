"""The logs of jobs and of services: their levels and one page of entries."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, select

from openeo_gip.db.database import Database
from openeo_gip.db.models import JobLog, ServiceLog

LEVELS = ("debug", "info", "warning", "error")
Entry = TypeVar("Entry", JobLog, ServiceLog)


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def read_log_page(
    db: Database, model: type[Entry], owner: ColumnElement[bool], *, after: int, level: str, limit: int | None
) -> tuple[list[Entry], bool]:
    """Entries of ``model`` matching ``owner`` after id ``after`` at ``level`` or more severe; and whether
    more follow this page."""
    with db.session() as session:
        query = (
            select(model)
            .where(owner, model.id > after, model.level.in_(LEVELS[level_rank(level) :]))
            .order_by(model.id)
        )
        if limit:
            query = query.limit(limit + 1)
        entries = list(session.scalars(query))
    if limit and len(entries) > limit:
        return entries[:limit], True
    return entries, False
