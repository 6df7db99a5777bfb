"""The store of user-defined processes (``/process_graphs``): each user's process objects, by id."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from openeo_gip.db.database import Database
from openeo_gip.db.models import ProcessGraph


def list_processes(db: Database, user_id: str) -> list[dict]:
    """Every process object ``user_id`` stored, ordered by id."""
    with db.session() as session:
        rows = session.scalars(
            select(ProcessGraph).where(ProcessGraph.user_id == user_id).order_by(ProcessGraph.process_id)
        ).all()
        return [row.document for row in rows]


def get_process(db: Database, user_id: str, process_id: str) -> dict | None:
    """The process object ``user_id`` stored as ``process_id`` (``None`` when there is none)."""
    with db.session() as session:
        row = _row(session, user_id, process_id)
        return dict(row.document) if row is not None else None


def put_process(db: Database, user_id: str, process_id: str, document: dict) -> None:
    """Store ``document`` as ``user_id``'s process ``process_id``, replacing the one stored before."""
    with db.session() as session:
        row = _row(session, user_id, process_id)
        if row is None:
            session.add(ProcessGraph(user_id=user_id, process_id=process_id, document=document))
        else:
            row.document = document


def delete_process(db: Database, user_id: str, process_id: str) -> bool:
    """Remove ``user_id``'s process ``process_id``; ``False`` when there was none."""
    with db.session() as session:
        row = _row(session, user_id, process_id)
        if row is None:
            return False
        session.delete(row)
        return True


def stored_processes(db: Database, user_id: str) -> Callable[[str], dict | None]:
    """The lookup of ``user_id``'s processes by id, as the engine receives it."""
    return lambda process_id: get_process(db, user_id, process_id)


def _row(session: Session, user_id: str, process_id: str) -> ProcessGraph | None:
    return session.scalar(
        select(ProcessGraph).where(ProcessGraph.user_id == user_id, ProcessGraph.process_id == process_id)
    )
