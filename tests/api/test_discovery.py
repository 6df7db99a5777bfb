"""Capabilities and the other public documents, validated against the official OpenAPI document."""

import pytest
import requests

from openeo_gip import API_VERSION, __version__
from tests.conftest import bearer_for
from tests.support.openapi import assert_valid_response

PUBLIC = ["/", "/.well-known/openeo", "/conformance", "/file_formats", "/udf_runtimes", "/service_types"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_documents_match_the_api(server, path):
    response = requests.get(server.url + path, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert_valid_response(server.url, response)


def test_capabilities_describe_this_server(server):
    body = requests.get(server.url + "/", timeout=30).json()
    assert body["api_version"] == API_VERSION
    assert body["backend_version"] == __version__
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["version-history"] == server.url + "/.well-known/openeo"
    assert rels["data"] == server.url + "/collections"
    assert rels["conformance"] == server.url + "/conformance"


def test_the_capabilities_answer_varies_with_accept(server):
    """A browser is sent to the web page and an API client gets the document at the same address, so a
    cache between them must keep the two apart."""
    browser = requests.get(
        server.url + "/", headers={"Accept": "text/html"}, allow_redirects=False, timeout=30
    )
    client = requests.get(server.url + "/", headers={"Accept": "application/json"}, timeout=30)
    assert browser.status_code == 303 and browser.headers["Location"].endswith("app/")
    assert client.status_code == 200 and client.json()["api_version"] == API_VERSION
    for response in (browser, client):
        assert "Accept" in response.headers.get("Vary", ""), response.headers


def test_every_listed_endpoint_answers_and_none_is_missing(server, alice):
    """The endpoint list comes from the URL map: each listed GET answers, and unlisted paths do not exist."""
    headers = bearer_for(server.url, "alice")
    endpoints = requests.get(server.url + "/", timeout=30).json()["endpoints"]
    paths = {entry["path"] for entry in endpoints}
    assert {"/credentials/basic", "/me", "/file_formats", "/conformance"} <= paths
    assert "/" not in paths
    for entry in endpoints:
        assert entry["methods"] == sorted(entry["methods"]) and "OPTIONS" not in entry["methods"]
        if "GET" in entry["methods"] and "{" not in entry["path"] and entry["path"] != "/credentials/basic":
            answer = requests.get(server.url + entry["path"], headers=headers, timeout=30)
            assert answer.status_code == 200, entry["path"]
    # Without OIDC providers in the config, /credentials/oidc is neither listed nor served.
    assert "/credentials/oidc" not in paths
    assert requests.get(server.url + "/credentials/oidc", timeout=30).status_code == 404


def test_well_known_points_at_this_api(server):
    body = requests.get(server.url + "/.well-known/openeo", timeout=30).json()
    assert body["versions"] == [{"url": server.url + "/", "api_version": API_VERSION, "production": False}]


def test_file_formats_name_gtiff_netcdf_json_png(server):
    body = requests.get(server.url + "/file_formats", timeout=30).json()
    assert {"GTiff", "netCDF", "JSON", "PNG"} <= set(body["output"])
    assert {"GTiff", "netCDF"} <= set(body["input"])
    for entry in [*body["output"].values(), *body["input"].values()]:
        assert entry["title"] and entry["gis_data_types"]


def test_cors_preflight_and_exposed_headers(server):
    origin = "https://editor.openeo.org"
    preflight = requests.options(
        server.url + "/me",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
        timeout=30,
    )
    assert preflight.status_code == 204
    # Any origin, as the API recommends, and no credentials: a page never rides on a browser's cookies.
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]

    response = requests.get(server.url + "/", headers={"Origin": origin}, timeout=30)
    exposed = {name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Location", "OpenEO-Identifier", "OpenEO-Costs", "Link"} <= exposed
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/me"])
def test_every_response_carries_the_security_headers(server, path):
    """Answers, errors and refusals alike: no type sniffing, no framing, no referrer, no active content."""
    response = requests.get(server.url + path, timeout=30)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
