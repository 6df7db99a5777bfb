"""OIDC login against a real discovery document and key set served on loopback by the test."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select

from openeo_gip.app import create_app
from openeo_gip.db import User
from tests.conftest import make_config
from tests.support.live_server import LiveServer
from tests.support.openapi import assert_valid_response

CLIENT_ID = "openeo-gip-tests"


class IdentityProvider:
    """Discovery document and JWKS over HTTP on loopback, signing with a key generated here."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": provider.issuer + "/jwks"}
                elif self.path == "/jwks":
                    public = json.loads(RSAAlgorithm.to_jwk(provider.key.public_key()))
                    body = {"keys": [{**public, "kid": provider.kid, "use": "sig", "alg": "RS256"}]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def token(self, key=None, kid=None, **overrides) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "user-123",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "preferred_username": "carol",
        }
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def idp():
    provider = IdentityProvider()
    yield provider
    provider.close()


@pytest.fixture
def oidc_server(tmp_path, db_url, idp):
    providers = [
        {
            "id": "testidp",
            "issuer": idp.issuer,
            "title": "Test identity provider",
            "scopes": ["openid", "email"],
            "default_clients": [{"id": CLIENT_ID}],
        }
    ]
    config = make_config(tmp_path, db_url, auth={"oidc_providers": providers})
    app = create_app(config)
    with LiveServer(app) as live:
        live.app = app
        yield live
    app.extensions["openeo_gip"].db.dispose()


def _me(server, token: str, provider: str = "testidp"):
    return requests.get(
        server.url + "/me", headers={"Authorization": f"Bearer oidc/{provider}/{token}"}, timeout=30
    )


def test_providers_are_listed(oidc_server, idp):
    response = requests.get(oidc_server.url + "/credentials/oidc", timeout=30)
    assert response.status_code == 200
    assert_valid_response(oidc_server.url, response)
    (provider,) = response.json()["providers"]
    assert provider["id"] == "testidp" and provider["issuer"] == idp.issuer
    assert provider["default_clients"][0]["id"] == CLIENT_ID
    paths = {entry["path"] for entry in requests.get(oidc_server.url + "/", timeout=30).json()["endpoints"]}
    assert "/credentials/oidc" in paths


def test_valid_token_logs_in_and_creates_the_account_once(oidc_server, idp):
    first = _me(oidc_server, idp.token())
    assert first.status_code == 200, first.text
    assert first.json()["name"] == "carol@testidp"
    second = _me(oidc_server, idp.token())
    assert second.json()["user_id"] == first.json()["user_id"]
    with oidc_server.app.extensions["openeo_gip"].db.session() as session:
        users = session.scalars(select(User).where(User.oidc_provider == "testidp")).all()
    assert [(u.oidc_sub, u.password_hash) for u in users] == [("user-123", None)]


def test_another_subject_is_another_account(oidc_server, idp):
    one = _me(oidc_server, idp.token()).json()
    other = _me(oidc_server, idp.token(sub="user-456", preferred_username="dave")).json()
    assert one["user_id"] != other["user_id"] and other["name"] == "dave@testidp"


@pytest.mark.parametrize(
    "case",
    ["expired", "wrong_key_same_kid", "unknown_kid", "wrong_issuer", "wrong_audience", "no_exp", "garbage"],
)
def test_invalid_tokens_are_refused(oidc_server, idp, case):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = {
        "expired": lambda: idp.token(exp=int(time.time()) - 60, iat=int(time.time()) - 400),
        "wrong_key_same_kid": lambda: idp.token(key=other_key),
        "unknown_kid": lambda: idp.token(key=other_key, kid="another-key"),
        "wrong_issuer": lambda: idp.token(iss="https://evil.example"),
        "wrong_audience": lambda: idp.token(aud="someone-else"),
        "no_exp": lambda: idp.token(exp=None),
        "garbage": lambda: "not.a.jwt",
    }[case]()
    response = _me(oidc_server, token)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "TokenInvalid"
    with oidc_server.app.extensions["openeo_gip"].db.session() as session:
        assert session.scalar(select(User).where(User.oidc_provider == "testidp")) is None


def test_unknown_provider_is_refused(oidc_server, idp):
    response = _me(oidc_server, idp.token(), provider="nope")
    assert response.status_code == 403 and response.json()["code"] == "TokenInvalid"
