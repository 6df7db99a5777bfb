"""load_url and load_stac never make the server request non-public addresses (SSRF) unless the operator
allows them: ``check_address`` on literal addresses and names, redirects checked hop by hop against real
HTTP servers, and graphs refused by a live server with the default configuration while the web server
they name (on 127.0.0.1) logs that it was never contacted."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
import requests

from openeo_gip.demodata import synthetic
from openeo_gip.errors import ApiError
from openeo_gip.processes.errors import invalid
from openeo_gip.remote.fetch import address_check, check_address, is_public, request
from tests.conftest import bearer_for
from tests.support.stac_files import point_item, write_stac_collection
from tests.support.static_http import StaticServer

HINT = "allow_private_addresses"


def _fail(reason: str) -> ApiError:
    return invalid("load_url", "url", reason)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/data.tif",
        "http://172.16.5.4/",
        "http://192.168.1.10:8080/stac/collection.json",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8786/",
        "http://localhost:5000/jobs",
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 written as one number, which resolvers accept
        "http://100.64.0.1/",  # shared address space (carrier NAT)
        "http://224.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]:8080/",
        "http://[fd12:3456::1]/",
        "http://[fe80::1]/",
    ],
)
def test_non_public_addresses_are_refused_with_the_hint(url):
    with pytest.raises(ApiError) as caught:
        check_address(url, _fail, allow_private=False)
    assert caught.value.code == "ProcessParameterInvalid" and caught.value.status == 400
    message = caught.value.message
    assert "not a public internet address" in message and HINT in message and "[remote]" in message


def test_the_refusal_does_not_tell_what_a_name_resolves_to():
    with pytest.raises(ApiError) as caught:
        check_address("http://localhost:1/", _fail)
    assert "127.0.0.1" not in caught.value.message and "::1" not in caught.value.message


@pytest.mark.parametrize(
    "url", ["http://8.8.8.8/a.tif", "https://1.1.1.1:8443/x", "http://[2001:4860:4860::8888]/"]
)
def test_public_literals_pass_without_any_connection(url):
    check_address(url, _fail, allow_private=False)  # a literal resolves to itself: no DNS, no connection


def test_the_operator_can_allow_private_addresses():
    check_address("http://127.0.0.1:8786/", _fail, allow_private=True)
    check_address("http://[::1]/", _fail, allow_private=True)


@pytest.mark.parametrize(
    "url", ["ftp://8.8.8.8/a.tif", "file:///etc/passwd", "gopher://8.8.8.8/", "http:///x"]
)
def test_other_schemes_and_missing_hosts_are_refused(url):
    with pytest.raises(ApiError) as caught:
        check_address(url, _fail, allow_private=True)
    assert caught.value.code == "ProcessParameterInvalid"


def test_one_private_answer_among_public_ones_is_enough_to_refuse():
    def resolve(host, port):
        return ["93.184.216.34", "10.1.2.3"]

    with pytest.raises(ApiError, match="not a public"):
        check_address("http://mixed.example/", _fail, resolve=resolve)
    check_address("http://public.example/", _fail, resolve=lambda host, port: ["93.184.216.34"])


def test_a_host_that_does_not_resolve_is_a_clear_error():
    def resolve(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ApiError, match="cannot be resolved"):
        check_address("http://nowhere.example/", _fail, allow_private=True, resolve=resolve)


def test_is_public_unwraps_ipv4_inside_ipv6():
    assert is_public("8.8.8.8") and is_public("2001:4860:4860::8888")
    assert not is_public("::ffff:10.0.0.1") and not is_public("2002:0a00:0001::1")  # 6to4 of 10.0.0.1
    assert not is_public("fe80::1%2") and not is_public("not an address")


def test_each_host_is_resolved_once_per_check():
    asked = []

    def resolve(host, port):
        asked.append((host, port))
        return ["93.184.216.34"]

    check = address_check(_fail, False, resolve)
    for path in ("a.tif", "b.tif", "c/d.tif"):
        check(f"https://data.example/{path}")
    check("https://other.example/e.tif")
    assert asked == [("data.example", 443), ("other.example", 443)]


# Redirects, against real servers: one that answers every request with a redirect, and a static one.


class _Redirects:
    """A server on 127.0.0.1 whose every answer is ``302`` to ``target`` (set after it starts)."""

    def __init__(self):
        self.target = ""
        self.hits = 0
        self.posted = b""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits += 1
                self.send_response(302)
                self.send_header("Location", owner.target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                owner.posted = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.do_GET()

            do_HEAD = do_GET

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def target(tmp_path):
    folder = tmp_path / "internal"
    folder.mkdir()
    (folder / "secret.json").write_text('{"secret": 1}')
    log = tmp_path / "internal-access.log"
    with StaticServer(folder, access_log=log) as server:
        yield server, log


def _contacted(log) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed(target):
    internal, log = target
    with _Redirects() as redirects:
        redirects.target = f"{internal.url}/secret.json"
        first_port = urlparse(redirects.url).port

        def check(url):
            # Stands for a public first server: only that exact address is let through as if it were.
            check_address(url, _fail, allow_private=urlparse(url).port == first_port)

        with pytest.raises(ApiError, match="not a public internet address") as caught:
            request("GET", f"{redirects.url}/start", _fail, check)
        assert redirects.hits == 1
    assert internal.url in caught.value.message
    assert _contacted(log) == []


def test_allowed_redirects_are_followed(target):
    # The control of the test above: the same redirect, allowed, reaches the target (and its log shows it).
    internal, log = target
    with _Redirects() as redirects:
        redirects.target = f"{internal.url}/secret.json"
        with request("GET", f"{redirects.url}/start", _fail, address_check(_fail, True)) as response:
            assert response.status_code == 200 and response.json() == {"secret": 1}
    assert len(_contacted(log)) == 1 and "/secret.json" in _contacted(log)[0]


def test_a_post_redirected_with_302_goes_on_as_a_get(target):
    # As a STAC API's POST ``next`` link would be followed: the body is sent once, the target is read.
    internal, log = target
    with _Redirects() as redirects:
        redirects.target = f"{internal.url}/secret.json"
        check = address_check(_fail, True)
        with request("POST", f"{redirects.url}/search", _fail, check, json={"page": 2}) as response:
            assert response.status_code == 200 and response.json() == {"secret": 1}
        assert json.loads(redirects.posted) == {"page": 2}
    assert _contacted(log)[0].startswith('"GET /secret.json')


def test_endless_redirects_stop_after_five_hops():
    with _Redirects() as redirects:
        redirects.target = f"{redirects.url}/again"
        with pytest.raises(ApiError, match="more than 5 redirects"):
            request("GET", redirects.url, _fail, address_check(_fail, True))
        assert redirects.hits == 6


# Through a live server with the default configuration.


@pytest.fixture
def web(tmp_path):
    """Real files served on 127.0.0.1 (a COG, a netCDF, a GeoJSON, a STAC collection), with an access log."""
    folder = tmp_path / "web"
    synthetic.write_dem(folder / "dem.tif", size=16)
    synthetic.write_netcdf_cube(folder / "temperature.nc", size=8, days=2)
    (folder / "area.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    write_stac_collection(folder / "stac", [dt.date(2023, 1, 5)], size=16)
    log = tmp_path / "web-access.log"
    with StaticServer(folder, access_log=log) as server:
        yield server, log


def _run(server, headers, node: dict) -> requests.Response:
    save = {"data": {"from_node": "load"}, "format": "netCDF"}
    graph = {"load": node, "save": {"process_id": "save_result", "arguments": save, "result": True}}
    body = {"process": {"process_graph": graph}}
    return requests.post(f"{server.url}/result", json=body, headers=headers, timeout=120)


def _assert_refused(response: requests.Response) -> None:
    assert response.status_code == 400, response.text[:300]
    error = response.json()
    assert error["code"] == "ProcessParameterInvalid" and error["id"]
    assert "not a public internet address" in error["message"] and HINT in error["message"]


@pytest.mark.parametrize(
    ("path", "format_name"), [("dem.tif", "GTiff"), ("temperature.nc", "netCDF"), ("area.geojson", "GeoJSON")]
)
def test_load_url_of_a_loopback_server_is_refused_by_default(app, server, alice, web, path, format_name):
    assert app.extensions["openeo_gip"].config.remote.allow_private_addresses is False  # the default
    files, log = web
    node = {"process_id": "load_url", "arguments": {"url": f"{files.url}/{path}", "format": format_name}}
    _assert_refused(_run(server, bearer_for(server.url, "alice"), node))
    assert _contacted(log) == []


def test_load_stac_of_a_loopback_server_is_refused_by_default(server, alice, web):
    files, log = web
    node = {"process_id": "load_stac", "arguments": {"url": f"{files.url}/stac/collection.json"}}
    _assert_refused(_run(server, bearer_for(server.url, "alice"), node))
    assert _contacted(log) == []


def test_load_stac_asset_hrefs_on_a_loopback_server_are_refused(server, alice, web):
    # The item itself is a file of the user's (no network); its asset is a new address, checked as well.
    files, log = web
    headers = bearer_for(server.url, "alice")
    item = point_item({"dem": f"{files.url}/dem.tif"})
    uploaded = requests.put(
        f"{server.url}/files/item.json", data=json.dumps(item), headers=headers, timeout=30
    )
    assert uploaded.status_code == 200, uploaded.text
    _assert_refused(_run(server, headers, {"process_id": "load_stac", "arguments": {"url": "item.json"}}))
    assert _contacted(log) == []
