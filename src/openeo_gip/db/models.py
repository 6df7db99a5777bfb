"""Typed ORM models. Changing one needs a new Alembic revision in ``migrations/versions``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_provider", "oidc_sub", name="uq_users_oidc"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    # argon2id hash; None for accounts that only log in through OIDC.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    oidc_provider: Mapped[str | None] = mapped_column(String(64))
    oidc_sub: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(255), default="user")  # comma-separated
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    tokens: Mapped[list[Token]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Token(Base):
    """A bearer token of the basic login, stored only as its SHA-256."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="tokens")


class Job(Base):
    """A batch job: what the user asked for, where it is in its lifecycle, and what it produced."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(1000))
    description: Mapped[str | None] = mapped_column(Text)
    process: Mapped[dict] = mapped_column(JSON)
    plan: Mapped[str | None] = mapped_column(String(255))
    budget: Mapped[float | None] = mapped_column(Float)
    log_level: Mapped[str] = mapped_column(String(16), default="info")
    # Properties of the request this back-end does not interpret, returned as they came.
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    # created, queued, running, finished, error, canceled
    status: Mapped[str] = mapped_column(String(16), default="created", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # How often a worker has started this job (a job stopped by a restart is started once more).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # "host:pid:random" of the worker running it, and when that worker last said it is alive.
    worker: Mapped[str | None] = mapped_column(String(255))
    heartbeat: Mapped[datetime | None] = mapped_column(UtcDateTime)
    usage: Mapped[dict | None] = mapped_column(JSON)
    # The written files: one entry per asset (relative path, media type, roles, size, raster metadata).
    results: Mapped[list | None] = mapped_column(JSON)


class JobLog(Base):
    """One entry of a job's log; the autoincrement id orders entries and serves as the paging offset."""

    __tablename__ = "job_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[object | None] = mapped_column(JSON)
    path: Mapped[list | None] = mapped_column(JSON)


class ProcessGraph(Base):
    """A user-defined process: the whole process object as the user stored it, per user and id."""

    __tablename__ = "process_graphs"
    __table_args__ = (UniqueConstraint("user_id", "process_id", name="uq_process_graphs_user_process"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[str] = mapped_column(String(255))
    document: Mapped[dict] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Service(Base):
    """A secondary web service (map tiles): its process and configuration, and the secret its URL carries
    because map clients send no login."""

    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # XYZ or WMTS
    title: Mapped[str | None] = mapped_column(String(1000))
    description: Mapped[str | None] = mapped_column(Text)
    process: Mapped[dict] = mapped_column(JSON)
    configuration: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    log_level: Mapped[str] = mapped_column(String(16), default="info")
    # Random and unguessable: the tile URLs name the service by it alone.
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    # Counts the changes of what a tile shows: cached tiles of an older version are never served.
    version: Mapped[int] = mapped_column(Integer, default=1)
    tiles_rendered: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ServiceLog(Base):
    """One entry of a service's log (tiles that failed); the id orders entries and is the paging offset."""

    __tablename__ = "service_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(255))
