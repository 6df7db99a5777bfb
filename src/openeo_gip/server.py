"""Serving the app with waitress, the production WSGI server used by default."""

from __future__ import annotations

import logging
import signal
import socket
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


class PortInUse(Exception):
    """The address to serve on is taken (another server, or an earlier demo still running)."""


def _check_free(host: str, port: int) -> None:
    """``PortInUse`` before anything starts, rather than a traceback from deep inside waitress."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another port with --port "
                "(make demo PORT=...) or stop what uses it"
            ) from None


def run(config: Config, host: str | None = None, port: int | None = None) -> None:
    host = host or config.server.host
    port = port or config.server.port
    _check_free(host, port)
    app = create_app(config)
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
