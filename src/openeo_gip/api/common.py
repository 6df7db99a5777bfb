"""Small helpers shared by the endpoint modules."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from openeo_gip.db.logs import LEVELS, level_rank
from openeo_gip.errors import ApiError
from openeo_gip.model.dates import rfc3339
from openeo_gip.model.limits import MAX_EXACT_INTEGER


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


def created(document: dict, path: str, identifier: str) -> Response:
    """The 201 answer of a POST that made ``identifier`` at ``path``: its document, where it is, its id."""
    response = jsonify(document)
    response.status_code = 201
    response.headers["Location"] = public_url(path)
    response.headers["OpenEO-Identifier"] = identifier
    return response


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
        number = whole_number(raw)
        if number is None or (name == "limit" and number < 1):
            raise ApiError("ParameterInvalid", parameter=name, reason="expected a positive whole number")
        values.append(min(number, max_limit))
    return values[0], values[1]


def whole_number(raw: str) -> int | None:
    """``raw`` as a whole number of ASCII digits (``"²".isdigit()`` holds, yet ``int`` refuses it), ``None``
    when it is none; capped at the largest 64-bit integer, as databases take no larger one."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    return MAX_EXACT_INTEGER if len(raw) > 19 else min(int(raw), MAX_EXACT_INTEGER)


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


# Reads one page of a log: (after=, level=, limit=) -> (entries, whether more follow).
LogReader = Callable[..., tuple[list, bool]]


def logs_response(path: str, log_level: str, read: LogReader) -> Response:
    """``GET {path}`` of a job's or a service's log: ``offset`` (the last entry's id) and ``level`` checked,
    never below the owner's ``log_level``, one page and the link to the next."""
    offset = whole_number(request.args.get("offset") or "0")
    if offset is None:
        raise ApiError("ParameterInvalid", parameter="offset", reason="not the id of a log entry")
    requested = request.args.get("level") or log_level
    if requested not in LEVELS:
        raise ApiError("ParameterInvalid", parameter="level", reason=f"use one of {', '.join(LEVELS)}")
    level = max(requested, log_level, key=level_rank)
    limit, _ = paging()
    entries, more = read(after=offset, level=level, limit=limit)
    links = []
    if more:
        links.append(link(public_url(f"{path}?offset={entries[-1].id}&limit={limit}&level={level}"), "next"))
    return jsonify({"level": level, "logs": [_log_entry(entry) for entry in entries], "links": links})


def _log_entry(entry: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": str(entry.id),
        "level": entry.level,
        "message": entry.message,
        "time": rfc3339(entry.time),
    }
    if entry.code:
        document["code"] = entry.code
    # Only a job's entries carry data and a path in the process graph.
    if getattr(entry, "data", None) is not None:
        document["data"] = entry.data
    if getattr(entry, "path", None):
        document["path"] = entry.path
    return document
