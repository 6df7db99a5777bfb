"""A real waitress server on a free loopback port, in a background thread."""

from __future__ import annotations

import threading

from flask import Flask
from waitress.server import create_server


class LiveServer:
    def __init__(self, app: Flask):
        self.app = app
        self._server = create_server(app, host="127.0.0.1", port=0, threads=8, ident="openeo-gip-test")
        self.port = self._server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # The loop runs while any socket is open, so close the kept-alive client connections too.
        self._server.close()
        for channel in list(self._server._map.values()):
            channel.close()
        self._server.task_dispatcher.shutdown()
        self._thread.join(timeout=10)
