"""The store of user-defined processes (``/process_graphs``): each user's process objects, by id.

A process stored with ``"public": true`` can be read by anyone at its canonical address, and other users'
graphs call it by that address (or ``u:<owner>``) as the node's namespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, unquote

from sqlalchemy import select
from sqlalchemy.orm import Session

from openeo_gip.db.database import Database
from openeo_gip.db.models import ProcessGraph, User

# The path of a public process's canonical address, below the server's base URL.
PUBLIC_PATH = "/processes/u/{owner}/{process_id}"
# A namespace naming a public process: ``u:<owner>``, or a canonical address (with or without the id).
_NAMESPACE = re.compile(
    r"^(?:u:(?P<name>[^/]+)|(?P<base>https?://.+?)/processes/u/(?P<owner>[^/]+)(?:/(?P<process_id>[^/]+))?/?)$"
)


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


def public_path(owner: str, process_id: str) -> str:
    return PUBLIC_PATH.format(owner=quote(owner, safe=""), process_id=quote(process_id, safe=""))


def public_process(db: Database, owner: str, process_id: str) -> dict | None:
    """``owner``'s process ``process_id`` when it is public (``None`` otherwise)."""
    with db.session() as session:
        row = session.scalar(
            select(ProcessGraph)
            .join(User, User.id == ProcessGraph.user_id)
            .where(User.name == owner, ProcessGraph.process_id == process_id)
        )
        return dict(row.document) if row is not None and row.document.get("public") is True else None


def shared_processes(db: Database, base_url: str | None) -> Callable[[str, str], dict | None]:
    """The lookup of public processes by namespace, as the engine receives it. A namespace address must
    start with ``base_url`` (this server's), unless it is ``None`` (a batch job, checked when it was sent)."""

    def lookup(namespace: str, process_id: str) -> dict | None:
        match = _NAMESPACE.match(namespace)
        if match is None or (match["process_id"] not in (None, process_id)):
            return None
        if match["base"] is not None and base_url is not None and match["base"] != base_url.rstrip("/"):
            return None
        return public_process(db, unquote(match["name"] or match["owner"]), process_id)

    return lookup


def _row(session: Session, user_id: str, process_id: str) -> ProcessGraph | None:
    return session.scalar(
        select(ProcessGraph).where(ProcessGraph.user_id == user_id, ProcessGraph.process_id == process_id)
    )
