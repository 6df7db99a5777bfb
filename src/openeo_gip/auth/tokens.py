"""Bearer tokens of the basic login: random, stored (db/accounts.py) only as a SHA-256, with an expiry."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from openeo_gip.db import Database, accounts
from openeo_gip.db.models import User, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(db: Database, user: User, lifetime_hours: float) -> str:
    token = secrets.token_urlsafe(32)
    accounts.add_token(db, user.id, _digest(token), utcnow() + timedelta(hours=lifetime_hours))
    return token


def user_for_token(db: Database, token: str) -> User | None:
    """The user of a valid token; ``None`` when it is unknown, expired or revoked."""
    return accounts.user_for_token(db, _digest(token))
