"""Debian's chromium driven by Playwright, and a server for it: used by tests/web and tools/screenshots.py."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from openeo_gip.app import create_app
from openeo_gip.auth.passwords import hash_password
from openeo_gip.db import User
from openeo_gip.demodata import synthetic
from tests.conftest import PASSWORD, make_config
from tests.conftest import close_app as close_app  # the web tests stop their apps with it

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and none of the browser's own traffic (updates, sync): only the page's requests go out.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
COLLECTION = "DEM_DEMO"


def launch_chromium(playwright):
    """Debian's chromium (.ci/run installs it); Playwright's own browsers are never downloaded."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install chromium (as .ci/run does)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def web_app(folder: Path, **sections) -> Flask:
    """An app on a 64 x 64 elevation model, with the accounts alice (a user) and root (an administrator);
    ``sections`` override the configuration as in ``make_config``."""
    config = make_config(folder, f"sqlite:///{folder / 'openeo-gip.db'}", **sections)
    synthetic.write_dem(config.paths.data_root / f"{COLLECTION}.tif", size=64)
    app = create_app(config)
    with app.extensions["openeo_gip"].db.session() as session:
        session.add(User(name="alice", password_hash=hash_password(PASSWORD)))
        session.add(User(name="root", password_hash=hash_password(PASSWORD), roles="user,admin"))
    return app


def log_in(page, base_url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/", wait_until="domcontentloaded")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
