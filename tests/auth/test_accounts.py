"""Basic login, bearer tokens and /me, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from openeo_gip.db import Token, User
from openeo_gip.db.models import utcnow
from tests.conftest import PASSWORD, add_user, bearer_for
from tests.support.openapi import assert_valid_response

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def _token(server, name="alice", password=PASSWORD) -> str:
    return bearer_for(server.url, name, password)["Authorization"].removeprefix("Bearer basic//")


def test_basic_login_gives_a_long_random_token_stored_only_as_hash(server, app, alice):
    response = requests.get(server.url + "/credentials/basic", auth=("alice", PASSWORD), timeout=30)
    assert response.status_code == 200
    assert_valid_response(server.url, response)
    token = response.json()["access_token"]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert token != _token(server)  # every login gets a new token
    with app.extensions["openeo_gip"].db.session() as session:
        stored = session.scalars(select(Token.token_hash)).all()
        user = session.scalar(select(User).where(User.name == "alice"))
    assert len(stored) == 2 and token not in stored and all(len(h) == 64 for h in stored)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("auth", "status", "code"),
    [
        (("alice", "wrong"), 403, "CredentialsInvalid"),
        (("nobody", PASSWORD), 403, "CredentialsInvalid"),
        (None, 401, "AuthenticationRequired"),
    ],
)
def test_basic_login_refusals(server, alice, auth, status, code):
    response = requests.get(server.url + "/credentials/basic", auth=auth, timeout=30)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert "access_token" not in response.json()


def test_me_describes_the_caller(server, alice):
    response = requests.get(server.url + "/me", headers=bearer_for(server.url, "alice"), timeout=30)
    assert response.status_code == 200
    assert_valid_response(server.url, response)
    body = response.json()
    assert body["user_id"] == alice.id and body["name"] == "alice"
    assert body["storage"]["quota"] == 10 * 1024**3
    assert body["storage"]["free"] == body["storage"]["quota"]


def test_me_reports_real_storage_use(server, app, alice):
    folder = app.extensions["openeo_gip"].config.paths.workspaces / alice.id
    folder.mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"x" * 1000)
    body = requests.get(server.url + "/me", headers=bearer_for(server.url, "alice"), timeout=30).json()
    assert body["storage"]["quota"] - body["storage"]["free"] == 1000


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        (None, 401, "AuthenticationRequired"),
        ("Bearer basic//" + "A" * 43, 403, "TokenInvalid"),
        ("Bearer basic//", 403, "TokenInvalid"),
        ("Bearer basic/x", 403, "TokenInvalid"),
        ("Bearer oidc/", 403, "TokenInvalid"),
        ("Bearer magic//abc", 403, "AuthenticationSchemeInvalid"),
        ("Bearer", 401, "AuthenticationRequired"),
        ("Basic YWxpY2U6eA==", 401, "AuthenticationRequired"),
    ],
)
def test_bad_authorization_headers(server, alice, header, status, code):
    headers = {"Authorization": header} if header else {}
    response = requests.get(server.url + "/me", headers=headers, timeout=30)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_expired_token_is_refused(server, app, alice):
    token = _token(server)
    with app.extensions["openeo_gip"].db.session() as session:
        for row in session.scalars(select(Token)):
            row.expires = utcnow() - timedelta(seconds=1)
    response = requests.get(
        server.url + "/me", headers={"Authorization": f"Bearer basic//{token}"}, timeout=30
    )
    assert response.status_code == 403 and response.json()["code"] == "TokenInvalid"


def test_token_lifetime_comes_from_config(server, app, alice):
    app.extensions["openeo_gip"].config.auth.token_lifetime_hours = 2
    _token(server)
    with app.extensions["openeo_gip"].db.session() as session:
        row = session.scalars(select(Token)).one()
    assert timedelta(hours=1, minutes=59) < row.expires - row.created <= timedelta(hours=2)


def test_one_users_token_never_reaches_another(server, app, alice):
    bob = add_user(app, "bob", "bobs password")
    as_bob = requests.get(
        server.url + "/me", headers=bearer_for(server.url, "bob", "bobs password"), timeout=30
    )
    as_alice = requests.get(server.url + "/me", headers=bearer_for(server.url, "alice"), timeout=30)
    assert as_bob.json()["user_id"] == bob.id and as_alice.json()["user_id"] == alice.id
