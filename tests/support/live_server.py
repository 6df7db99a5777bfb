"""A real waitress server on a free loopback port, in a background thread."""

from __future__ import annotations

import threading

from flask import Flask

from openeo_gip.server import make_server


class LiveServer:
    def __init__(self, app: Flask):
        self.app = app
        self._server = make_server(app, app.extensions["openeo_gip"].config, "127.0.0.1", 0)
        self.port = self._server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # The loop runs while any socket is open: close them all, kept-alive client connections too,
        # from inside the loop's own thread so that no select() sees a closed descriptor.
        def close_all() -> None:
            for channel in list(self._server._map.values()):
                channel.close()

        try:
            self._server.trigger.pull_trigger(close_all)
        except OSError:  # the loop has already stopped and closed its trigger: nothing is left to close
            pass
        self._server.task_dispatcher.shutdown()
        self._thread.join(timeout=10)
