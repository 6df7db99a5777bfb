"""A STAC API's ``next`` link with method POST: its body is posted and the answer read as a page."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from openeo_gip.errors import ApiError
from openeo_gip.remote.stac_items import Reader, _next_page


class _Search:
    """Answers every POST with ``answer`` and keeps the bodies it received."""

    def __init__(self, answer: bytes):
        owner = self
        self.bodies: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                owner.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/search"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def _fail(reason: str) -> ApiError:
    return ApiError("ProcessParameterInvalid", process="load_stac", parameter="url", reason=reason)


@pytest.mark.parametrize(
    ("answer", "page", "problem"),
    [
        (
            b'{"type": "FeatureCollection", "features": []}',
            {"type": "FeatureCollection", "features": []},
            None,
        ),
        (b"<html>", None, "is not a JSON document"),
        (b"[1, 2]", None, "is not a STAC document"),
    ],
)
def test_a_post_link_posts_its_body_and_reads_the_answer(answer, page, problem):
    search = _Search(answer)
    reader = Reader([], _fail, allow_private=True)  # the test server listens on loopback
    link = {"rel": "next", "method": "POST", "body": {"token": "page-2"}}
    try:
        if problem is None:
            assert _next_page(search.url, link, reader) == page
        else:
            with pytest.raises(ApiError, match=problem):
                _next_page(search.url, link, reader)
    finally:
        search.close()
    assert search.bodies == [{"token": "page-2"}]
