"""The store of secondary web services (``/services``) and their logs."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update

from openeo_gip.db.database import Database
from openeo_gip.db.logs import read_log_page
from openeo_gip.db.models import Service, ServiceLog

log = logging.getLogger(__name__)

# Changes after which tiles look different (the cache keeps tiles per version).
_CHANGES_TILES = ("process", "configuration")


def create_service(db: Database, user_id: str, fields: dict[str, Any]) -> Service:
    with db.session() as session:
        service = Service(user_id=user_id, secret=secrets.token_urlsafe(32), **fields)
        session.add(service)
        session.flush()
        return service


def owned_service(db: Database, service_id: str, user_id: str) -> Service | None:
    """The service ``service_id`` of ``user_id``; ``None`` for anyone else's, so ids reveal nothing."""
    with db.session() as session:
        service = session.get(Service, service_id)
        return service if service is not None and service.user_id == user_id else None


def service_by_secret(db: Database, secret: str) -> Service | None:
    """The service whose URLs carry ``secret`` (enabled or not), or ``None``."""
    with db.session() as session:
        return session.scalar(select(Service).where(Service.secret == secret))


def list_services(db: Database, user_id: str, limit: int | None, offset: int) -> tuple[list[Service], int]:
    """One page of the user's services, newest first, and how many there are in all."""
    with db.session() as session:
        where = Service.user_id == user_id
        total = session.scalar(select(func.count()).select_from(Service).where(where)) or 0
        query = select(Service).where(where).order_by(Service.created.desc(), Service.id).offset(offset)
        if limit:
            query = query.limit(limit)
        return list(session.scalars(query)), total


def update_service(db: Database, service_id: str, fields: dict[str, Any]) -> None:
    """Change ``fields``; a new process or configuration makes a new version of the tiles."""
    with db.session() as session:
        service = session.get(Service, service_id)
        if service is None:
            return
        for name, value in fields.items():
            setattr(service, name, value)
        if any(name in fields for name in _CHANGES_TILES):
            service.version += 1


def delete_service(db: Database, service_id: str) -> None:
    with db.session() as session:
        service = session.get(Service, service_id)
        if service is not None:
            session.delete(service)


def count_tiles(db: Database, counts: Mapping[str, int]) -> None:
    """Add ``counts`` (tiles rendered, not served from the cache, by service id) to the services' usage,
    in one transaction; a service deleted meanwhile is skipped."""
    with db.session() as session:
        for service_id, count in counts.items():
            session.execute(
                update(Service)
                .where(Service.id == service_id)
                .values(tiles_rendered=Service.tiles_rendered + count)
                .execution_options(synchronize_session=False)
            )


def write_service_log(db: Database, service_id: str, level: str, message: str, code: str | None) -> None:
    try:
        with db.session() as session:
            session.add(ServiceLog(service_id=service_id, level=level, message=message, code=code))
    except Exception:  # a log entry is never worth failing a tile for (e.g. the service was just deleted)
        log.warning("could not store a log entry of service %s", service_id, exc_info=True)


def read_service_logs(
    db: Database, service_id: str, *, after: int, level: str, limit: int | None
) -> tuple[list[ServiceLog], bool]:
    """Entries after id ``after`` at ``level`` or more severe; and whether more follow this page."""
    return read_log_page(
        db, ServiceLog, ServiceLog.service_id == service_id, after=after, level=level, limit=limit
    )
