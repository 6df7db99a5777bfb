"""Logging in through a real OpenID provider (tests/node/oidc_provider.mjs), with the real openEO client.

openeo-gip trusts the provider as it would a university's IdP (``provider_settings``); the client finds
the provider and its default client in ``GET /credentials/oidc`` and gets its tokens from the provider.
"""

from __future__ import annotations

import base64
import json
import threading
import time

import openeo
import pytest
import requests
from sqlalchemy import select

from openeo_gip.app import create_app
from openeo_gip.db import User
from tests.conftest import close_app, make_config
from tests.support.live_server import LiveServer
from tests.support.oidc_provider import running_oidc_provider, sign_in
from tests.support.server_process import assert_openeo_error

pytestmark = pytest.mark.slow

ADD = {"sum": {"process_id": "add", "arguments": {"x": 3, "y": 5}, "result": True}}
CLOCK_AHEAD_SECONDS = 5


@pytest.fixture(scope="module")
def hasty_provider():
    """A provider whose clock runs a few seconds ahead, as an IdP on another machine may."""
    with running_oidc_provider(clock_ahead=CLOCK_AHEAD_SECONDS) as provider:
        yield provider


@pytest.fixture(scope="module")
def uni_server(tmp_path_factory, oidc_provider, hasty_provider):
    """openeo-gip with the provider configured as the university's single sign-on ``uni``
    (and the hasty one as ``ahead``)."""
    folder = tmp_path_factory.mktemp("real-oidc")
    providers = [oidc_provider.provider_settings("uni"), hasty_provider.provider_settings("ahead")]
    config = make_config(folder, f"sqlite:///{folder / 'openeo-gip.db'}", auth={"oidc_providers": providers})
    app = create_app(config)
    with LiveServer(app) as live:
        live.app = app
        yield live
    close_app(app)


@pytest.fixture
def client_home(tmp_path, monkeypatch):
    """The openEO client keeps its config and refresh tokens here, not in $HOME."""
    monkeypatch.setenv("OPENEO_CONFIG_HOME", str(tmp_path / "openeo-client"))
    return tmp_path / "openeo-client"


def _connect(server) -> openeo.Connection:
    return openeo.connect(server.url, auto_validate=False)


def _me(server, token: str, provider_id: str = "uni") -> requests.Response:
    headers = {"Authorization": f"Bearer oidc/{provider_id}/{token}"}
    return requests.get(server.url + "/me", headers=headers, timeout=30)


def _accounts(server) -> list[str]:
    with server.app.extensions["openeo_gip"].db.session() as session:
        return list(session.scalars(select(User.oidc_sub).where(User.oidc_provider == "uni")))


def test_client_credentials_login_runs_a_process(uni_server, oidc_provider, client_home):
    robot = oidc_provider.robot
    connection = _connect(uni_server).authenticate_oidc_client_credentials(
        client_id=robot.id, client_secret=robot.secret, provider_id="uni"
    )
    account = connection.describe_account()
    assert account["name"] == "gip-robot@uni"
    assert connection.execute(ADD) == 8


def test_authenticate_oidc_takes_client_credentials_from_the_environment(
    uni_server, oidc_provider, client_home, monkeypatch
):
    """How CI jobs and the official test suite log in: no secret in the code."""
    monkeypatch.setenv("OPENEO_AUTH_METHOD", "client_credentials")
    monkeypatch.setenv("OPENEO_AUTH_PROVIDER_ID", "uni")
    monkeypatch.setenv("OPENEO_AUTH_CLIENT_ID", oidc_provider.robot.id)
    monkeypatch.setenv("OPENEO_AUTH_CLIENT_SECRET", oidc_provider.robot.secret)
    connection = _connect(uni_server).authenticate_oidc()
    assert connection.describe_account()["name"] == "gip-robot@uni"


def test_device_code_login_with_a_refresh_token(uni_server, oidc_provider, client_home):
    """The client shows an address; the person opens it, signs in and consents; the client, polling,
    gets its tokens. The refresh token it stores logs in again later without the person."""
    shown: list[str] = []
    visited = threading.Event()

    def browser() -> None:
        deadline = time.monotonic() + 20
        while not shown and time.monotonic() < deadline:
            time.sleep(0.05)
        url = shown[0].split("Visit ", 1)[1].split(" ", 1)[0]
        sign_in(url, "ada")
        visited.set()

    person = threading.Thread(target=browser, daemon=True)
    person.start()
    connection = _connect(uni_server).authenticate_oidc_device(
        provider_id="uni",
        store_refresh_token=True,
        max_poll_time=30,
        display=lambda message: shown.append(message) if message.startswith("Visit ") else None,
    )
    person.join(timeout=5)
    assert visited.is_set()
    account = connection.describe_account()
    assert account["name"] == "ada@uni"
    assert connection.execute(ADD) == 8

    stored = json.loads((client_home / "refresh-tokens.json").read_text())
    assert stored[oidc_provider.issuer]["gip-cli"]["refresh_token"]
    again = _connect(uni_server).authenticate_oidc_refresh_token(provider_id="uni")
    assert again.auth.bearer != connection.auth.bearer
    assert again.describe_account()["user_id"] == account["user_id"]


def test_tampered_token_is_refused(uni_server, oidc_provider):
    token = oidc_provider.client_credentials_token()
    assert _me(uni_server, token).status_code == 200
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert_openeo_error(_me(uni_server, f"{header}.{forged}.{signature}"), 403, "TokenInvalid")
    assert "someone-else" not in _accounts(uni_server)


def test_token_for_another_audience_is_refused(uni_server, oidc_provider):
    token = oidc_provider.client_credentials_token(resource=oidc_provider.other_audience)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["aud"] == oidc_provider.other_audience
    assert_openeo_error(_me(uni_server, token), 403, "TokenInvalid")


def test_expired_token_is_refused_and_the_client_logs_in_again(uni_server, oidc_provider, client_home):
    brief = oidc_provider.brief_robot
    connection = _connect(uni_server).authenticate_oidc_client_credentials(
        client_id=brief.id, client_secret=brief.secret, provider_id="uni"
    )
    first_token = connection.auth.bearer.rsplit("/", 1)[1]
    assert _me(uni_server, first_token).status_code == 200
    time.sleep(oidc_provider.short_ttl + 1.1)
    refused = assert_openeo_error(_me(uni_server, first_token), 403, "TokenInvalid")
    assert "expired" in refused["message"]
    # The client sees TokenInvalid and asks the provider for a new token with its credentials.
    assert connection.describe_account()["name"] == "gip-robot-brief@uni"
    assert connection.auth.bearer.rsplit("/", 1)[1] != first_token


def test_token_of_a_provider_whose_clock_runs_ahead_is_accepted(uni_server, hasty_provider):
    """Its fresh token was issued "in the future" by our clock; a few seconds must not lock people out."""
    token = hasty_provider.client_credentials_token()
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iat"] > time.time() + 1
    response = _me(uni_server, token, provider_id="ahead")
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "gip-robot@ahead"
