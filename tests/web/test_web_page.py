"""The web page at /app in a real browser (Debian's chromium through Playwright) against a real server:
logging in, a collection's map with its quick-look tiles, a batch job from start to its previewed result,
files, user-defined processes, the administrator's view, and the errors a user sees."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, Response, expect

import openeo_gip.web
from tests.conftest import PASSWORD, bearer_for
from tests.support.browser import COLLECTION, close_app, log_in, web_app
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.slow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOAD_DEM = {
    "process_id": "load_collection",
    "arguments": {"id": COLLECTION, "spatial_extent": None, "temporal_extent": None},
}
SAVE_GTIFF = {
    "process_id": "save_result",
    "arguments": {"data": {"from_node": "load"}, "format": "GTiff"},
    "result": True,
}
# The tiles of the layer the page draws data in (map.js gives it this class).
TILES = "[...document.querySelectorAll('.data-tiles img.leaflet-tile')]"


def tile_responses(page: Page, part: str) -> list[Response]:
    """Every answer to a tile request whose address contains ``part``, collected from now on."""
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response) if part in response.url else None)
    return responses


def assert_png_tiles(page: Page, responses: list[Response]) -> None:
    """Every tile of the data layer on the map was drawn from a PNG the server sent."""
    # Leaflet marks failed tiles "loaded" too, but a failed image has no width.
    page.wait_for_function(f"() => ({TILES}).length > 0 && ({TILES}).every(tile => tile.complete)")
    widths = page.evaluate(f"({TILES}).map(tile => tile.naturalWidth)")
    assert widths and set(widths) == {256}
    assert responses, "no tile was requested"
    for response in responses:
        assert response.status == 200, response.url
        assert response.headers["content-type"] == "image/png"
        assert response.body().startswith(PNG_SIGNATURE)


def test_browsers_get_the_page_and_api_clients_the_capabilities(web_server):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    to_page = requests.get(web_server.url + "/", headers={"Accept": browser_accept}, allow_redirects=False)
    assert to_page.status_code == 303 and to_page.headers["Location"].endswith("app/")
    for accept in ("application/json", "*/*", None):
        capabilities = requests.get(web_server.url + "/", headers={"Accept": accept} if accept else {})
        assert capabilities.status_code == 200 and capabilities.json()["api_version"] == "1.2.0"
        assert capabilities.headers["Content-Security-Policy"].startswith("default-src 'none'")
        paths = [endpoint["path"] for endpoint in capabilities.json()["endpoints"]]
        assert not [path for path in paths if path.startswith(("/app", "/admin"))]
    page = requests.get(web_server.url + "/app", timeout=10)  # redirected to /app/
    assert (
        page.status_code == 200 and page.url.endswith("/app/") and "text/html" in page.headers["Content-Type"]
    )
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = requests.get(web_server.url + "/app/static/app.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert requests.get(web_server.url + "/app/static/../__init__.py", timeout=10).status_code == 404


def test_a_wrong_password_is_refused_with_a_message(web_server, page):
    log_in(page, web_server.url, "alice", "not the password")
    expect(page.locator("#message")).to_contain_text("Login failed")
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator("#nav-collections")).to_have_count(0)


def test_a_collection_shows_its_extent_bands_and_quick_look_tiles(web_server, page):
    log_in(page, web_server.url, "alice")
    expect(page.locator("#who")).to_have_text("alice")
    page.click(f"text={COLLECTION}")
    expect(page.locator("#bands")).to_have_text("elevation")
    expect(page.locator("path.leaflet-interactive")).to_have_count(1)  # the extent's outline
    tiles = tile_responses(page, "/tiles/")
    page.click("#quick-look")
    expect(page.locator("#message")).to_contain_text("Quick look of DEM_DEMO")
    assert_png_tiles(page, tiles)
    alice = bearer_for(web_server.url, "alice")
    services = requests.get(f"{web_server.url}/services", headers=alice).json()["services"]
    assert [service["title"] for service in services] == ["Quick look: DEM_DEMO elevation"]
    expect(page.locator("#service-url")).to_contain_text(f"{services[0]['url']}/{{z}}/{{x}}/{{y}}.png")
    # A colour range changes the same service, whose tiles are drawn anew.
    page.fill("#min", "10")
    page.fill("#max", "70")
    tiles.clear()
    page.click("#quick-look")  # clears the message at once, and shows it again once the layer is there
    expect(page.locator("#message")).to_contain_text("Quick look of DEM_DEMO")
    assert_png_tiles(page, tiles)
    assert all("70" in response.url for response in tiles)  # tiles of the new range, not the cached ones
    service = requests.get(f"{web_server.url}/services/{services[0]['id']}", headers=alice).json()
    assert service["configuration"] == {"bands": ["elevation"], "min": 10, "max": 70}
    assert len(requests.get(f"{web_server.url}/services", headers=alice).json()["services"]) == 1


def test_a_batch_job_from_start_to_a_previewed_result(web_server, page):
    log_in(page, web_server.url, "alice")
    page.click(f"text={COLLECTION}")
    page.click("#make-job")
    expect(page).to_have_url(re.compile("#jobs$"))
    job_link = page.locator("#jobs a", has_text="DEM_DEMO elevation as GeoTIFF")
    expect(page.locator("#jobs .status")).to_have_text("created")
    job_link.click()
    previews = tile_responses(page, "/previews/")
    page.click("#start-job")
    expect(page.locator("#job-status")).to_have_text("finished", timeout=30_000)
    expect(page.locator("#preview-note")).to_be_visible()
    assert_png_tiles(page, previews)
    expect(page.locator("#logs")).not_to_be_empty()
    with page.expect_download() as download:
        page.locator("a.download", has_text=".tif").first.click()
    assert download.value.path().read_bytes()[:4] in (b"II*\x00", b"MM\x00*")  # a GeoTIFF


def test_files_are_uploaded_listed_and_deleted(web_server, page, tmp_path):
    upload = tmp_path / "points.geojson"
    upload.write_text('{"type": "FeatureCollection", "features": []}')
    log_in(page, web_server.url, "alice")
    page.click("#nav-files")
    page.set_input_files("#upload", str(upload))
    page.click("#upload-button")
    row = page.locator("#files tr", has_text="points.geojson")
    expect(row).to_have_count(1)
    row.locator("button", has_text="Delete").click()
    expect(row).to_have_count(0)
    listed = requests.get(f"{web_server.url}/files", headers=bearer_for(web_server.url, "alice")).json()
    assert "points.geojson" not in [file["path"] for file in listed["files"]]


def test_only_administrators_see_users_and_running_work(page, tmp_path):
    # A server that runs no jobs itself (they wait for `openeo-gip worker`), so a started job stays queued.
    app = web_app(tmp_path, jobs={"runner_threads": 0})
    try:
        with LiveServer(app) as server:
            alice = bearer_for(server.url, "alice")
            refused = requests.get(f"{server.url}/admin/users", headers=alice)
            assert refused.status_code == 403 and refused.json()["code"] == "PermissionsInsufficient"
            assert requests.get(f"{server.url}/admin/jobs").status_code == 401
            process = {"process_graph": {"load": LOAD_DEM, "save": SAVE_GTIFF}}
            created = requests.post(
                f"{server.url}/jobs", json={"title": "waiting", "process": process}, headers=alice
            )
            assert created.status_code == 201, created.text
            job_id = created.headers["OpenEO-Identifier"]
            assert requests.post(f"{server.url}/jobs/{job_id}/results", headers=alice).status_code == 202

            root = bearer_for(server.url, "root", PASSWORD)
            users = requests.get(f"{server.url}/admin/users", headers=root).json()["users"]
            assert {user["name"]: (user["roles"], user["jobs"]) for user in users} == {
                "alice": (["user"], {"queued": 1}),
                "root": (["user", "admin"], {}),
            }
            active = requests.get(f"{server.url}/admin/jobs", headers=root).json()["jobs"]
            assert [(job["id"], job["user"], job["status"]) for job in active] == [
                (job_id, "alice", "queued")
            ]

            log_in(page, server.url, "root")
            page.click("#nav-admin")
            expect(page.locator("#admin-users tr", has_text="alice")).to_contain_text("queued: 1")
            expect(page.locator("#admin-jobs tr", has_text="waiting")).to_contain_text("queued")
    finally:
        close_app(app)


def test_user_defined_processes_are_listed_and_deleted(web_server, page):
    alice = bearer_for(web_server.url, "alice")
    graph = {"add": {"process_id": "add", "arguments": {"x": 1, "y": 2}, "result": True}}
    body = {"process_graph": graph, "summary": "1 + 2"}
    stored = requests.put(f"{web_server.url}/process_graphs/three", json=body, headers=alice)
    assert stored.status_code == 200
    log_in(page, web_server.url, "alice")
    page.click("#nav-processes")
    row = page.locator("#processes tr", has_text="three")
    expect(row).to_contain_text("1 + 2")
    row.locator("button", has_text="Delete").click()
    expect(page.locator("#processes")).to_contain_text("No user-defined processes")
    assert requests.get(f"{web_server.url}/process_graphs/three", headers=alice).status_code == 404


def test_without_a_build_the_page_says_how_to_build_it(web_server, monkeypatch, tmp_path):
    monkeypatch.setattr(openeo_gip.web, "STATIC", tmp_path)  # what a server installed without npm has
    page = requests.get(f"{web_server.url}/app/", timeout=10)
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    assert "make web" in page.text
    assert requests.get(f"{web_server.url}/", headers={"Accept": "application/json"}).json()["api_version"]


def test_the_login_page_lists_the_configured_openid_providers(page, tmp_path):
    provider = {"id": "uni", "issuer": "https://login.example.org", "title": "University login"}
    app = web_app(tmp_path, auth={"oidc_providers": [provider]})
    try:
        with LiveServer(app) as server:
            page.goto(server.url + "/", wait_until="domcontentloaded")
            link = page.locator("#oidc a", has_text="University login")
            expect(link).to_have_attribute("href", "https://login.example.org")
            expect(page.locator("#oidc")).to_contain_text("authenticate_oidc()")
    finally:
        close_app(app)
