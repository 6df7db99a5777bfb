"""The items of a STAC resource a user names in ``load_stac``.

Understood: a static Item, Catalog or Collection (walked through its child and item links), an
ItemCollection, and a collection of a STAC API (one with an ``items`` link), whose items are asked for
page by page with the bounding box and time interval, following ``next`` links. Documents are read over
http(s) (public addresses only, unless allowed: ``fetch.check_address``) or, for local paths, only
inside the allowed folders (``fetch.local_path``). A Collection without
items but with data assets (as openEO batch job results are described) gives one entry per asset.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlparse

import pystac

from openeo_gip.catalog.naming import NamePattern
from openeo_gip.catalog.stac_source import Entry, entry_of_item
from openeo_gip.model.dates import rfc3339
from openeo_gip.remote.fetch import (
    MAX_DOCUMENT_BYTES,
    Failure,
    address_check,
    fetch_bytes,
    is_http,
    local_path,
)

# More items than this: the request has to be narrowed (extents) before anything is read.
MAX_ITEMS = 10_000
PAGE_SIZE = 100


@dataclass
class Search:
    """What a STAC API is asked for; ``None``: no limit."""

    bbox: tuple[float, float, float, float] | None = None  # WGS84
    start: dt.datetime | None = None  # naive UTC
    end: dt.datetime | None = None


@dataclass
class Found:
    entries: list[Entry]
    root: pystac.Catalog | None = None  # the Catalog/Collection named, for its metadata


class Reader:
    """Reads documents for one request: http(s), or local files inside ``allowed`` folders.

    ``check`` vets every http(s) address first (documents, redirects, and the asset hrefs the caller
    hands to GDAL); it remembers the hosts it has passed for as long as this reader lives. GDAL then
    reads the assets itself and follows their redirects unchecked (see ``remote``)."""

    def __init__(self, allowed: list[Path], fail: Failure, allow_private: bool = False):
        self.allowed = allowed
        self.fail = fail
        self.check = address_check(fail, allow_private)

    def text(self, href: str) -> str:
        if is_http(href):
            return fetch_bytes(href, self.fail, self.check).decode("utf-8", errors="replace")
        path = local_path(href, self.allowed, self.fail)
        try:
            if path.stat().st_size > MAX_DOCUMENT_BYTES:
                raise self.fail(f"{href} is larger than {MAX_DOCUMENT_BYTES // 1024**2} MiB")
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise self.fail(f"{href} cannot be read ({type(exc).__name__})") from None

    def json(self, href: str, text: str | None = None) -> dict[str, Any]:
        """The STAC document at ``href`` (or ``text``, when the caller fetched it)."""
        try:
            document = json.loads(self.text(href) if text is None else text)
        except ValueError:
            raise self.fail(f"{href} is not a JSON document") from None
        if not isinstance(document, dict):
            raise self.fail(f"{href} is not a STAC document")
        return document


class _StacIO(pystac.StacIO):
    """pystac's reads of child and item links go through the same confined ``Reader``."""

    def __init__(self, reader: Reader):
        super().__init__()
        self.reader = reader

    def read_text(self, source: Any, *args: Any, **kwargs: Any) -> str:
        return self.reader.text(str(source))

    def write_text(self, dest: Any, txt: str, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("load_stac never writes")


def find_items(url: str, search: Search, reader: Reader) -> Found:
    """Every entry (item) ``url`` leads to; a STAC API is searched with ``search``."""
    href = url if is_http(url) else str(local_path(url, reader.allowed, reader.fail))
    document = reader.json(href)
    kind = document.get("type")
    try:
        if kind == "Feature":
            return Found([entry_of_item(_item(document, href))])
        if kind == "FeatureCollection":
            return Found(list(_pages(document, href, reader)))
        if kind in ("Collection", "Catalog"):
            return _from_catalog(document, href, search, reader)
    except (pystac.STACError, KeyError, TypeError, ValueError) as exc:
        raise reader.fail(f"{url} is not valid STAC ({type(exc).__name__}: {exc})") from None
    raise reader.fail(f"{url} is not a STAC Item, Collection, Catalog or ItemCollection")


def _from_catalog(document: dict, href: str, search: Search, reader: Reader) -> Found:
    cls = pystac.Collection if document["type"] == "Collection" else pystac.Catalog
    root = cls.from_file(href, stac_io=_StacIO(reader))  # child and item links are read the same way
    items_link = next((link for link in document.get("links", []) if link.get("rel") == "items"), None)
    if items_link is not None and is_http(href):
        first_href = _with_query(urljoin(href, items_link["href"]), search)
        return Found(list(_pages(reader.json(first_href), first_href, reader)), root)
    entries = []
    for item in root.get_items(recursive=True):
        entries.append(entry_of_item(item))
        if len(entries) > MAX_ITEMS:
            raise reader.fail(f"{href} has more than {MAX_ITEMS} items; load a smaller catalogue")
    if not entries and isinstance(root, pystac.Collection):
        entries = _asset_entries(root)
    return Found(entries, root)


def _item(document: dict, base: str) -> pystac.Item:
    """An item; relative asset hrefs count from its self link, else from the document it came in."""
    has_self = any(link.get("rel") == "self" for link in document.get("links", []))
    return pystac.Item.from_dict(document, href=None if has_self else base, migrate=True)


def _pages(page: dict, href: str, reader: Reader) -> Iterator[Entry]:
    """The items of an ItemCollection and of every page its ``next`` links lead to."""
    count = 0
    seen = {href}
    while True:
        for feature in page.get("features", []):
            count += 1
            if count > MAX_ITEMS:
                raise reader.fail(f"more than {MAX_ITEMS} items match; narrow the extents")
            yield entry_of_item(_item(feature, href))
        following = next((link for link in page.get("links", []) if link.get("rel") == "next"), None)
        if following is None:
            return
        href = urljoin(href, following["href"])
        if href in seen and following.get("method", "GET").upper() == "GET":
            return  # a server pointing back at a page it already gave
        seen.add(href)
        page = _next_page(href, following, reader)


def _next_page(href: str, link: dict, reader: Reader) -> dict:
    if link.get("method", "GET").upper() != "POST":
        return reader.json(href)
    if not is_http(href):
        raise reader.fail(f"{href}: a POST link must be an http(s) address")
    body = fetch_bytes(href, reader.fail, reader.check, method="POST", json=link.get("body") or {})
    return reader.json(href, body.decode("utf-8", errors="replace"))


def _with_query(href: str, search: Search) -> str:
    parts = [f"limit={PAGE_SIZE}"]
    if search.bbox is not None:
        parts.append("bbox=" + ",".join(repr(float(value)) for value in search.bbox))
    if search.start is not None or search.end is not None:
        parts.append(f"datetime={_stamp(search.start)}/{_stamp(search.end)}")
    return href + ("&" if urlparse(href).query else "?") + "&".join(parts)


def _stamp(value: dt.datetime | None) -> str:
    return rfc3339(value) if value is not None else ".."


def _asset_entries(collection: pystac.Collection) -> list[Entry]:
    """A Collection that lists its data directly (openEO job results): one entry per asset, its time from
    the asset's ``datetime`` or a date in the file name."""
    names = NamePattern()
    entries = []
    for key, asset in collection.assets.items():
        when = asset.extra_fields.get("datetime") or asset.extra_fields.get("start_datetime")
        if when is not None:
            when = rfc3339(when)
        else:
            when = names.parse(PurePosixPath(urlparse(asset.href).path).stem).datetime
        entries.append(Entry(key, when, {}, {"data": asset}, asset.extra_fields.get("bbox")))
    return entries
