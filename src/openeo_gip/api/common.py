"""Small helpers shared by the endpoint modules."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from openeo_gip.errors import ApiError


def services():
    """What the app factory built: config, database, OIDC verifier, ..."""
    return current_app.extensions["openeo_gip"]


def public_url(path: str = "") -> str:
    """Absolute URL of an API path as clients see it."""
    # Without a configured URL, the address the client used (right whatever --port), whose host the app
    # checked against its trusted hosts (app.trusted_hosts): a forged Host header never gets here.
    base = services().config.server.public_url or request.host_url.rstrip("/")
    return base + path


def json_body() -> Any:
    """The request's JSON document; ``PayloadTooLarge`` (413) over ``server.json_bytes``, refused from its
    Content-Length or, for a chunked body, once that much was read; ``JSONInvalid`` (400) when it cannot be
    parsed or its arrays and objects nest deeper than ``server.json_depth``."""
    limits = services().config.server
    request.max_content_length = limits.json_bytes
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise ApiError("PayloadTooLarge", size=limits.json_bytes) from None
    if not data:
        raise ApiError("JSONInvalid", reason="the body is empty")
    too_deep = ApiError(
        "JSONInvalid", reason=f"arrays and objects nest more than {limits.json_depth} levels deep"
    )
    try:
        document = json.loads(data)
    except RecursionError:  # Python's parser gives up near 1000 levels
        raise too_deep from None
    except ValueError:
        raise ApiError("JSONInvalid", reason="it cannot be parsed") from None
    if _nests_deeper(document, limits.json_depth):
        raise too_deep
    return document


def _nests_deeper(document: Any, levels: int) -> bool:
    """Whether arrays and objects in ``document`` nest more than ``levels`` deep, one level at a time (no
    recursion, so whatever the depth)."""
    level = [document] if isinstance(document, dict | list) else []
    for _ in range(levels):
        if not level:
            return False
        level = [
            child
            for value in level
            for child in (value.values() if isinstance(value, dict) else value)
            if isinstance(child, dict | list)
        ]
    return bool(level)


def link(href: str, rel: str, title: str | None = None, type: str | None = "application/json") -> dict:
    entry = {"href": href, "rel": rel}
    if type:
        entry["type"] = type
    if title:
        entry["title"] = title
    return entry


def paging(max_limit: int = 10_000) -> tuple[int | None, int]:
    """``limit`` and ``offset`` query parameters of a paged list; ``ParameterInvalid`` when malformed.
    An empty value means the default, as an absent one (the JavaScript client sends ``offset=``)."""
    values = []
    for name, default in (("limit", None), ("offset", 0)):
        raw = request.args.get(name)
        if not raw:
            values.append(default)
            continue
        if not raw.isdigit() or (name == "limit" and int(raw) < 1):
            raise ApiError("ParameterInvalid", parameter=name, reason="expected a positive whole number")
        values.append(min(int(raw), max_limit))
    return values[0], values[1]


def page_links(path: str, limit: int | None, offset: int, total: int) -> list[dict]:
    """``next``/``prev`` links of a page of ``limit`` items starting at ``offset`` out of ``total``."""
    if not limit:
        return []
    links = []
    if offset + limit < total:
        links.append(link(public_url(f"{path}?limit={limit}&offset={offset + limit}"), "next"))
    if offset > 0:
        links.append(link(public_url(f"{path}?limit={limit}&offset={max(offset - limit, 0)}"), "prev"))
    return links
