"""Serving the app with waitress, the production WSGI server used by default."""

from __future__ import annotations

import logging
import resource
import signal
import socket
import threading
import time

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from openeo_gip.app import create_app
from openeo_gip.config import Config
from openeo_gip.engine.cluster import freeze_heap

log = logging.getLogger(__name__)


def waitress_options(config: Config) -> dict:
    return {
        "threads": config.server.threads,
        # Uploads may be as large as the per-file quota (waitress refuses bodies over 1 GiB by default).
        "max_request_body_size": config.quota.file_bytes + 1024 * 1024,
        # A connection waiting for its request holds a socket, not a thread: many may wait at once
        # (waitress's 100 were filled by one client with incomplete requests), none of them for long.
        "connection_limit": config.server.connection_limit,
        "channel_timeout": config.server.idle_seconds,
        "cleanup_interval": 1,
        # select() cannot watch descriptors above 1023; poll() can.
        "asyncore_use_poll": True,
        "ident": "openeo-gip",
    }


def header_deadline_channel(seconds: float) -> type[HTTPChannel]:
    """A waitress connection that is closed when a request's headers take longer than ``seconds``, counted
    from the connection's start or the request's first byte. Waitress alone only closes connections that
    stay silent, so a client trickling one byte at a time would hold its connection forever."""

    class HeaderDeadlineChannel(HTTPChannel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.header_deadline: float | None = time.monotonic() + seconds

        def received(self, data: bytes) -> bool:
            result = super().received(data)
            if self.request is None:  # every request received so far is complete
                self.header_deadline = None
            elif self.header_deadline is None:  # a new request began with this data
                self.header_deadline = time.monotonic() + seconds
            return result

        def readable(self) -> bool:
            # The event loop asks every connection this at least once a second.
            waiting = self.request is None or not self.request.headers_finished
            if self.header_deadline and waiting and not self.requests:
                if time.monotonic() > self.header_deadline:
                    self.will_close = True  # closed by the loop's next write turn
            return super().readable()

    return HeaderDeadlineChannel


def make_server(app: Flask, config: Config, host: str, port: int):
    """The waitress server for ``app`` on ``host``:``port``, with the limits of ``config.server``."""
    server = create_server(app, host=host, port=port, **waitress_options(config))
    channel = header_deadline_channel(config.server.header_seconds)
    # One listener per address ``host`` resolves to (a MultiSocketServer keeps them in ``map``).
    for listener in (getattr(server, "map", None) or server._map).values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    return server


def _allow_connections(config: Config) -> None:
    """Raises this process's limit of open files, where it is lower than the connections allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = config.server.connection_limit + 256  # and the database, rasters, logs
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        if raised < wanted:
            log.warning("only %d open files allowed; lower server.connection_limit to fit", raised)


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
    _allow_connections(config)
    # The app knows the address it serves on (its trusted hosts include it), --host and --port included.
    config = config.model_copy(
        update={"server": config.server.model_copy(update={"host": host, "port": port})}
    )
    app = create_app(config)
    server = make_server(app, config, host, port)
    freeze_heap()
    log.info("serving the openEO API on http://%s:%s", host, port)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (systemd, docker stop, kill) stops like Ctrl-C: running jobs are queued again below.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        app.extensions["openeo_gip"].close()  # running jobs go back to the queue for the next start
