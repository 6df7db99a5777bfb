"""A real OpenID provider for the tests: ``tests/node/oidc_provider.mjs`` (npm ``oidc-provider``) under Node.

The session fixture ``oidc_provider`` starts it on a free loopback port and yields a ``RealOidcProvider``:
its issuer, the audience of openEO tokens, its clients, the ``[auth]`` settings that connect openeo-gip to
it, and helpers to get tokens the way clients do. ``sign_in`` plays the user's browser in a device code
login: it follows the provider's HTML pages (code confirmation, login, consent) with plain HTTP requests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.conftest import free_port

NODE_FOLDER = Path(__file__).resolve().parents[1] / "node"
PROGRAM = NODE_FOLDER / "oidc_provider.mjs"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
START_SECONDS = 20


@dataclass(frozen=True)
class OidcClient:
    id: str
    secret: str | None = None  # None: a public client (device code, refresh tokens)


# The clients registered in oidc_provider.mjs.
ROBOT = OidcClient("gip-robot", "robot-secret")
BRIEF_ROBOT = OidcClient("gip-robot-brief", "brief-secret")  # its tokens live ``short_ttl`` seconds
CLI = OidcClient("gip-cli")


@dataclass(frozen=True)
class RealOidcProvider:
    issuer: str
    audience: str  # the `aud` of tokens for openeo-gip
    other_audience: str  # the `aud` of tokens for another service
    short_ttl: int
    robot: OidcClient = ROBOT
    brief_robot: OidcClient = BRIEF_ROBOT
    cli: OidcClient = CLI

    def discovery(self) -> dict:
        response = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        return response.json()

    def provider_settings(self, provider_id: str = "uni") -> dict:
        """One entry of openeo-gip's ``[auth] oidc_providers``, as a university's IdP is configured."""
        return {
            "id": provider_id,
            "issuer": self.issuer,
            "title": "University single sign-on (test provider)",
            "scopes": ["openid", "email", "profile"],
            "audience": [self.audience],
            "default_clients": [
                {"id": self.cli.id, "grant_types": [DEVICE_GRANT + "+pkce", DEVICE_GRANT, "refresh_token"]}
            ],
        }

    def toml(self, provider_id: str = "uni") -> str:
        """``provider_settings`` as the lines of a config.toml (for servers started as processes)."""
        settings = self.provider_settings(provider_id)
        clients = settings.pop("default_clients")
        lines = ["[[auth.oidc_providers]]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]  # JSON is TOML here
        for client in clients:
            lines.append("[[auth.oidc_providers.default_clients]]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in client.items()]
        return "\n".join(lines) + "\n"

    def client_credentials_token(self, client: OidcClient = ROBOT, resource: str | None = None) -> str:
        """An access token of the client credentials grant (for ``resource``, else the openEO audience)."""
        data = {"grant_type": "client_credentials", "client_id": client.id, "client_secret": client.secret}
        if resource:
            data["resource"] = resource
        return self._token_request(data)["access_token"]

    def device_login(self, login: str, scope: str = "openid email offline_access") -> dict:
        """The tokens (access, refresh, id) a device code login of ``login`` ends with, as ``gip-cli``."""
        endpoint = self.discovery()["device_authorization_endpoint"]
        response = requests.post(endpoint, data={"client_id": self.cli.id, "scope": scope}, timeout=10)
        response.raise_for_status()
        started = response.json()
        sign_in(started["verification_uri_complete"], login)
        return self._token_request(
            {"grant_type": DEVICE_GRANT, "client_id": self.cli.id, "device_code": started["device_code"]}
        )

    def _token_request(self, data: dict) -> dict:
        response = requests.post(self.discovery()["token_endpoint"], data=data, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


class _Forms(HTMLParser):
    """The forms of a page: their action and their named inputs with the values they carry."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append((attributes.get("action") or "", {}))
            self._inside = True
        elif tag == "input" and self._inside and attributes.get("name"):
            self.forms[-1][1][attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def sign_in(verification_url: str, login: str, password: str = "any password", max_pages: int = 10) -> None:
    """What a person does in the browser after a device code login started: open the address the client
    showed, confirm the code, sign in as ``login``, consent. Each page's first form is submitted with
    its own fields (hidden ones included), the login fields filled in."""
    browser = requests.Session()
    page = browser.get(verification_url, timeout=10)
    for _ in range(max_pages):
        page.raise_for_status()
        parser = _Forms()
        parser.feed(page.text)
        if not parser.forms:
            break
        action, fields = parser.forms[0]
        if "login" in fields:
            fields.update(login=login, password=password)
        page = browser.post(urljoin(page.url, action), data=fields, timeout=10)
    assert "Sign-in Success" in page.text, f"the device login did not finish: {page.text[:500]}"


@contextmanager
def running_oidc_provider(
    short_ttl: int = 2, access_token_ttl: int = 300, clock_ahead: int = 0
) -> Iterator[RealOidcProvider]:
    """``oidc_provider.mjs`` under Node on a free loopback port, until the block ends; its clock runs
    ``clock_ahead`` seconds ahead of this machine's."""
    node = shutil.which("node")
    if node is None or not (NODE_FOLDER / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("Node.js and tests/node/node_modules are needed: run `make node-deps`")
    port = free_port()
    audience, other_audience = "https://openeo.test/", "https://other-service.test/"
    command = [node, str(PROGRAM), "--port", str(port), "--audience", audience]
    command += ["--other-audience", other_audience]
    command += ["--short-ttl", str(short_ttl), "--access-token-ttl", str(access_token_ttl)]
    command += ["--clock-ahead", str(clock_ahead)]
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: nobody has to keep reading it
    process = subprocess.Popen(command, cwd=NODE_FOLDER, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        provider = RealOidcProvider(
            issuer=f"http://127.0.0.1:{port}",
            audience=audience,
            other_audience=other_audience,
            short_ttl=short_ttl,
        )
        _wait_for(provider, process, log)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for(provider: RealOidcProvider, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the OIDC provider stopped: {log.read()}")
        try:
            if provider.discovery()["issuer"] == provider.issuer:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"the OIDC provider did not answer within {START_SECONDS} s")


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[RealOidcProvider]:
    """One real OpenID provider for the test session (tokens of ``brief_robot`` live 2 s)."""
    with running_oidc_provider() as provider:
        yield provider
