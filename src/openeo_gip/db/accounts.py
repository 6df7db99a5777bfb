"""The store of accounts: users and the bearer tokens of the basic login.

It never sees a secret: passwords arrive hashed (auth/passwords.py) and tokens as their digest
(auth/tokens.py), so what is stored is only ever what the database may hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openeo_gip.db.database import Database
from openeo_gip.db.models import Job, ProcessGraph, Token, User, utcnow


def get_user(db: Database, user_id: str) -> User | None:
    with db.session() as session:
        return session.get(User, user_id)


def find_user(db: Database, name: str) -> User | None:
    with db.session() as session:
        return session.scalar(select(User).where(User.name == name))


def list_users(db: Database) -> list[User]:
    """Every account, by name."""
    with db.session() as session:
        return list(session.scalars(select(User).order_by(User.name)))


def add_user(db: Database, name: str, password_hash: str, roles: Iterable[str] = ("user",)) -> User | None:
    """A new account logging in with a password; ``None`` when ``name`` is taken."""
    with db.session() as session:
        if session.scalar(select(User).where(User.name == name)):
            return None
        user = User(name=name, password_hash=password_hash, roles=",".join(roles))
        session.add(user)
    return user


@dataclass(frozen=True)
class RemovedUser:
    id: str
    jobs: int
    processes: int


def remove_user(db: Database, name: str) -> RemovedUser | None:
    """Delete an account; its tokens, batch jobs (with their logs) and user-defined processes go with it
    (the foreign keys cascade). What went; ``None`` when there is no account of that name."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            return None
        removed = RemovedUser(
            user.id,
            jobs=session.scalar(select(func.count()).where(Job.user_id == user.id)),
            processes=session.scalar(select(func.count()).where(ProcessGraph.user_id == user.id)),
        )
        session.delete(user)
    return removed


def set_password(db: Database, name: str, password_hash: str) -> bool:
    """Give an account a new password and revoke its tokens; False when there is none of that name."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            return False
        user.password_hash = password_hash
        _revoke_tokens(session, user.id)
    return True


def oidc_user(db: Database, provider_id: str, sub: str, name: str, fallback_name: str) -> User:
    """The account of an OIDC subject, created on its first login as ``name``, or as ``fallback_name``
    when another account already has that name."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.oidc_provider == provider_id, User.oidc_sub == sub))
        if user is None:
            if session.scalar(select(User.id).where(User.name == name)):
                name = fallback_name
            user = User(name=name, oidc_provider=provider_id, oidc_sub=sub)
            session.add(user)
    return user


def add_token(db: Database, user_id: str, token_hash: str, expires: datetime) -> None:
    with db.session() as session:
        session.add(Token(token_hash=token_hash, user_id=user_id, expires=expires))


def user_for_token(db: Database, token_hash: str) -> User | None:
    """The user of a token; ``None`` when it is unknown, expired or revoked."""
    with db.session() as session:
        row = session.scalar(select(Token).where(Token.token_hash == token_hash))
        if row is None or row.revoked or row.expires <= utcnow():
            return None
        return row.user


def _revoke_tokens(session: Session, user_id: str) -> None:
    for row in session.scalars(select(Token).where(Token.user_id == user_id, Token.revoked.is_(False))):
        row.revoked = True
