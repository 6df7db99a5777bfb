"""The rio-tiler side of ``bench/tiles.py``: a small threaded HTTP server, run with the interpreter of
``bench/.venv-tiles`` (rio-tiler never enters openeo-gip's environment), that draws
``/{z}/{x}/{y}.png`` of one COG as titiler would: the file opened per request, the Web Mercator tile read
(nearest neighbour, from the overview the zoom needs), rescaled linearly over a value range, coloured by a
256-entry colour map, nodata transparent, encoded as PNG (``?zlevel=N``: zlib level N, not rio-tiler's 6).

    python rio_tiler_server.py PORT COG MIN MAX COLOURS_JSON
"""

from __future__ import annotations

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rio_tiler.io import Reader

_TILE = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png(?:\?zlevel=(\d))?$")


def serve(port: int, path: str, low: float, high: float, colours: list[list[int]]) -> None:
    colormap = {index: (*colour, 255) for index, colour in enumerate(colours)}

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            match = _TILE.match(self.path)
            if not match:
                self.send_error(404)
                return
            z, x, y = (int(part) for part in match.groups()[:3])
            # rio-tiler's own PNG profile (zlib level 6) unless the request names a level
            options = {"zlevel": int(match[4])} if match[4] else {}
            with Reader(path) as cog:
                image = cog.tile(x, y, z, tilesize=256, indexes=1)
            image.rescale(in_range=((low, high),))
            body = image.render(img_format="PNG", colormap=colormap, **options)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # quiet: the benchmark prints the figures
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Tiles).serve_forever()


if __name__ == "__main__":
    port, path, low, high, colours = sys.argv[1:6]
    serve(int(port), path, float(low), float(high), json.loads(open(colours).read()))
