"""The login decorators the API uses: Basic for ``/credentials/basic``, Bearer everywhere else."""

from __future__ import annotations

from flask import current_app, g, request
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth

from openeo_gip.auth.passwords import verify_password
from openeo_gip.auth.tokens import user_for_token
from openeo_gip.db import accounts
from openeo_gip.db.models import User
from openeo_gip.errors import ApiError

basic_auth = HTTPBasicAuth()
bearer_auth = HTTPTokenAuth(scheme="Bearer")


def _services():
    return current_app.extensions["openeo_gip"]


def roles_of(user: User) -> list[str]:
    """The user's roles (stored comma-separated), e.g. ``["user", "admin"]``."""
    return [role for role in user.roles.split(",") if role]


@basic_auth.verify_password
def _check_password(name: str, password: str) -> User | None:
    if not name:
        return None
    # Throttled names and addresses are refused before the (costly) hashing.
    with _services().logins.attempt(name, request.remote_addr or "") as succeeded:
        user = accounts.find_user(_services().db, name)
        if verify_password(user.password_hash if user else None, password):
            succeeded()
            return user
    raise ApiError("CredentialsInvalid")


@basic_auth.error_handler
def _basic_missing(status: int):
    raise ApiError("AuthenticationRequired")


@bearer_auth.verify_token
def _check_token(token: str) -> User | None:
    if not token:
        return None  # no Authorization header: the error handler decides (401 or anonymous)
    method, _, rest = token.partition("/")
    if method == "basic":
        secret = rest[1:] if rest.startswith("/") else None
        if not secret:
            raise ApiError("TokenInvalid")
        user = user_for_token(_services().db, secret)
        if user is None:
            raise ApiError("TokenInvalid")
    elif method == "oidc":
        provider_id, _, jwt_token = rest.partition("/")
        if not provider_id or not jwt_token:
            raise ApiError("TokenInvalid")
        claims = _services().oidc.verify(provider_id, jwt_token)
        user = _oidc_user(provider_id, claims)
    else:
        raise ApiError("AuthenticationSchemeInvalid")
    g.user = user
    return user


@bearer_auth.error_handler
def _bearer_missing(status: int):
    raise ApiError("AuthenticationRequired")


def _oidc_user(provider_id: str, claims: dict) -> User:
    """The account of an OIDC subject, created on first login."""
    sub = str(claims["sub"])
    wanted = str(claims.get("preferred_username") or claims.get("email") or sub)
    return accounts.oidc_user(
        _services().db, provider_id, sub, f"{wanted}@{provider_id}", f"{sub}@{provider_id}"
    )


def current_user() -> User | None:
    """The user of this request (``None`` on endpoints where login is optional and none was given)."""
    return g.get("user")
