"""Bearer tokens of the basic login: random, stored only as a SHA-256, with an expiry."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openeo_gip.db.models import Token, User, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, lifetime_hours: float) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        Token(
            token_hash=_digest(token),
            user_id=user.id,
            expires=utcnow() + timedelta(hours=lifetime_hours),
        )
    )
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The user of a valid token; ``None`` when it is unknown, expired or revoked."""
    row = session.scalar(select(Token).where(Token.token_hash == _digest(token)))
    if row is None or row.revoked or row.expires <= utcnow():
        return None
    return row.user


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke every token of a user (after a password change); returns how many."""
    rows = session.scalars(select(Token).where(Token.user_id == user.id, Token.revoked.is_(False))).all()
    for row in rows:
        row.revoked = True
    return len(rows)
