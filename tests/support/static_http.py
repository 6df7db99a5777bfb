"""A real HTTP server on a loopback port serving a folder, with the byte ranges GDAL asks for (COG reads).

Tests use it in place of the internet: STAC catalogues, COGs, GeoJSON and netCDF files written by the
test are fetched over real HTTP. It runs in its own process: GDAL holds the GIL while it opens a remote
file, so a server thread in the test's process could never answer it.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


class RangeHandler(SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` plus single ``Range: bytes=a-b`` requests (answered with 206)."""

    access_log: str | None = None  # a file every request is written to, when set; else nothing is logged

    def log_message(self, format, *args):  # keep test output quiet
        if self.access_log:
            with open(self.access_log, "a", encoding="utf-8") as log:
                log.write(format % args + "\n")

    def do_GET(self):
        match = _RANGE.match(self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if match is None or not path.is_file():
            return super().do_GET()
        size = path.stat().st_size
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        if start >= size:
            self.send_error(416)
            return None
        with open(path, "rb") as source:
            source.seek(start)
            body = source.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.wfile.write(body)
        return None


class StaticServer:
    """``with StaticServer(folder) as server: server.url`` (no trailing slash); ``api=True`` adds the
    STAC API pages of ``StacApiHandler``; ``access_log``: a file that gets one line per request."""

    def __init__(self, folder: Path, api: bool = False, access_log: Path | None = None):
        self.folder = Path(folder)
        self.api = api
        self.access_log = access_log
        self.url = ""
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> StaticServer:
        root = Path(__file__).resolve().parents[2]
        command = [sys.executable, "-m", "tests.support.static_http", str(self.folder)] + (
            ["api"] if self.api else []
        )
        if self.access_log is not None:
            command += ["--log", str(self.access_log)]
        self._process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
        port = self._process.stdout.readline().strip()
        if not port.isdigit():
            self._process.kill()
            raise RuntimeError("the static HTTP server did not start")
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._process.stdout.close()


def serve(folder: str, handler: type) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=os.fspath(folder)))
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    from tests.support.stac_api import StacApiHandler

    arguments = sys.argv[1:]
    if "--log" in arguments:
        at = arguments.index("--log")
        RangeHandler.access_log = arguments[at + 1]
        del arguments[at : at + 2]
    serve(arguments[0], StacApiHandler if arguments[1:] == ["api"] else RangeHandler)
