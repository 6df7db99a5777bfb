"""Small helpers shared by the endpoint modules."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from openeo_gip.errors import ApiError


def services():
    """What the app factory built: config, database, OIDC verifier, ..."""
    return current_app.extensions["openeo_gip"]


def public_url(path: str = "") -> str:
    """Absolute URL of an API path as clients see it."""
    # Without a configured URL, the address the client used (right whatever --port or host name).
    base = services().config.server.public_url or request.host_url.rstrip("/")
    return base + path


def json_body() -> Any:
    """The request's JSON document, or ``JSONInvalid`` (400)."""
    if not request.get_data(cache=True):
        raise ApiError("JSONInvalid", reason="the body is empty")
    data = request.get_json(force=True, silent=True)
    if data is None and request.get_data(cache=True).strip() != b"null":
        raise ApiError("JSONInvalid", reason="it cannot be parsed")
    return data


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
