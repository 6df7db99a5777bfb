"""A real server with a 64 x 64 elevation model and two accounts, and Debian's chromium driven by
Playwright, shared by the module (starting the browser takes a second or two). A missing chromium or an
unbuilt page fails the tests: they are never skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from openeo_gip.web import STATIC
from tests.support.browser import close_app, launch_chromium, web_app
from tests.support.live_server import LiveServer


@pytest.fixture(scope="module")
def web_server(tmp_path_factory) -> Iterator[LiveServer]:
    if not (STATIC / "index.html").is_file():
        pytest.fail("the web page is not built: run make web (make test does)")
    app = web_app(tmp_path_factory.mktemp("web"))
    with LiveServer(app) as live:
        yield live
    close_app(app)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def _is_fault(message) -> bool:
    """Console errors but the browser's note on each answer with an error status, which the tests
    check themselves (a wrong password's 401, the 404 of /credentials/oidc without providers)."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


@pytest.fixture
def page(browser) -> Iterator[Page]:
    """A fresh tab (no token kept from another test) that fails the test on any script error or a
    request the page's content policy refused."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if _is_fault(message) else None)
    yield page
    context.close()
    assert not errors, f"the page reported errors: {errors}"
