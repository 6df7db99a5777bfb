"""A small STAC API over a static collection folder (written by ``stac_files``), for ``load_stac`` tests.

``/api/collections/<id>`` is the collection with an ``items`` link; ``/api/collections/<id>/items`` filters
the items by ``bbox`` and ``datetime`` (both ends included, ``..`` open) and returns one item per page with
``next`` links, so a client has to follow them. Every items query is appended to ``api-requests.log``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from tests.support.static_http import RangeHandler

PAGE_SIZE = 1


class StacApiHandler(RangeHandler):
    def do_GET(self):
        parsed = urlparse(self.path)
        if not parsed.path.startswith("/api/"):
            return super().do_GET()
        folder = Path(self.directory)
        base = f"http://{self.headers['Host']}"
        collection = json.loads((folder / "collection.json").read_text())
        parts = parsed.path.strip("/").split("/")  # api, collections, id[, items]
        if parts[:3] != ["api", "collections", collection["id"]]:
            self.send_error(404)
            return None
        if parts[3:] == []:
            collection["links"] = [
                {"rel": "items", "href": f"{base}/api/collections/{collection['id']}/items"},
                {"rel": "self", "href": f"{base}{parsed.path}"},
            ]
            return self._json(collection)
        with open(folder / "api-requests.log", "a", encoding="utf-8") as log:
            log.write(parsed.query + "\n")
        query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
        items = [self._item(path, folder, base) for path in sorted(folder.glob("*/*.json"))]
        items = [item for item in items if _matches(item, query)]
        page = int(query.get("page", "0"))
        body = {"type": "FeatureCollection", "features": items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]}
        body["links"] = []
        if (page + 1) * PAGE_SIZE < len(items):
            following = urlencode({**query, "page": page + 1})
            body["links"].append({"rel": "next", "href": f"{base}{parsed.path}?{following}"})
        return self._json(body)

    def _item(self, path: Path, folder: Path, base: str) -> dict:
        item = json.loads(path.read_text())
        for asset in item["assets"].values():
            absolute = (path.parent / asset["href"]).resolve().relative_to(folder.resolve())
            asset["href"] = f"{base}/{absolute.as_posix()}"
        item["links"] = []
        return item

    def _json(self, document: dict) -> None:
        data = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _matches(item: dict, query: dict) -> bool:
    if "bbox" in query:
        west, south, east, north = (float(v) for v in query["bbox"].split(","))
        b = item["bbox"]
        if b[0] > east or b[2] < west or b[1] > north or b[3] < south:
            return False
    if "datetime" in query:
        start, _, end = query["datetime"].partition("/")
        when = _time(item["properties"]["datetime"])
        if start not in ("", "..") and when < _time(start):
            return False
        if end not in ("", "..") and when > _time(end):
            return False
    return True


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
