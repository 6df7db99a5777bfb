"""Screenshots of the web page's main views for docs/web.md, taken in the browser the tests use.

    .venv/bin/python tools/screenshots.py [folder]     (make screenshots; default docs/screenshots)

Runs the server of tests/web (a 64 x 64 elevation model, the accounts alice and root) in this process,
logs in, makes a quick look and a batch job, and saves one PNG per view."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' server and browser helpers live in tests/support

from tests.support.browser import COLLECTION, close_app, launch_chromium, log_in, web_app  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

VIEWPORT = {"width": 1100, "height": 720}


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # Leaflet fades tiles in


def take(page: Page, folder: Path, name: str) -> None:
    settle(page)
    page.screenshot(path=folder / f"{name}.png")
    print(f"wrote {folder / name}.png")


def user_views(page: Page, url: str, folder: Path) -> None:
    page.goto(url + "/", wait_until="networkidle")
    page.fill("#username", "alice")
    take(page, folder, "login")
    log_in(page, url, "alice")
    page.click(f"text={COLLECTION}")
    page.fill("#min", "10")  # the elevation model's range, so that neighbouring tiles match
    page.fill("#max", "70")
    page.click("#quick-look")
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_visible(timeout=20_000)
    take(page, folder, "collection")
    page.click("#make-job")
    page.locator("#jobs a").first.click()
    page.click("#start-job")
    expect(page.locator("#job-status")).to_have_text("finished", timeout=60_000)
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_visible(timeout=20_000)
    take(page, folder, "job")
    page.click("#nav-jobs")
    expect(page.locator("#jobs .status").first).to_have_text("finished")
    take(page, folder, "jobs")


def admin_view(page: Page, url: str, folder: Path) -> None:
    log_in(page, url, "root")
    page.click("#nav-admin")
    expect(page.locator("#admin-users tr", has_text="alice")).to_have_count(1)
    take(page, folder, "admin")


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        app = web_app(Path(scratch))
        try:
            with LiveServer(app) as server, sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                for view in (user_views, admin_view):
                    context = browser.new_context(viewport=VIEWPORT)
                    view(context.new_page(), server.url, folder)
                    context.close()
                browser.close()
        finally:
            close_app(app)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
