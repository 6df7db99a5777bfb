"""Serving the app with waitress, the production WSGI server used by default."""

from __future__ import annotations

import logging
import signal
import threading

import waitress

from openeo_gip.app import create_app
from openeo_gip.config import Config

log = logging.getLogger(__name__)


def waitress_options(config: Config) -> dict:
    # Uploads may be as large as the per-file quota (waitress refuses bodies over 1 GiB by default).
    return {
        "threads": config.server.threads,
        "max_request_body_size": config.quota.file_bytes + 1024 * 1024,
        "ident": "openeo-gip",
    }


def run(config: Config, host: str | None = None, port: int | None = None) -> None:
    app = create_app(config)
    host = host or config.server.host
    port = port or config.server.port
    log.info("serving the openEO API on http://%s:%s", host, port)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (systemd, docker stop, kill) stops like Ctrl-C: running jobs are queued again below.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        waitress.serve(app, host=host, port=port, **waitress_options(config))
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        app.extensions["openeo_gip"].close()  # running jobs go back to the queue for the next start
