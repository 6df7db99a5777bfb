"""Serving the app with waitress, the production WSGI server used by default."""

from __future__ import annotations

import logging

import waitress

from openeo_gip.app import create_app
from openeo_gip.config import Config

log = logging.getLogger(__name__)


def run(config: Config, host: str | None = None, port: int | None = None) -> None:
    app = create_app(config)
    host = host or config.server.host
    port = port or config.server.port
    log.info("serving openEO API on http://%s:%s (public URL %s)", host, port, config.server.public_url)
    try:
        waitress.serve(app, host=host, port=port, threads=config.server.threads, ident="openeo-gip")
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        app.extensions["openeo_gip"].db.dispose()
