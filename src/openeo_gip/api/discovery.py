"""Capabilities and the other things a client reads before logging in."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, redirect, request
from flask.views import MethodView

from openeo_gip import API_VERSION, STAC_VERSION, __version__
from openeo_gip.api.common import link, public_url, services
from openeo_gip.formats import file_formats
from openeo_gip.services.types import SERVICE_TYPES
from openeo_gip.udf.runtimes import udf_runtimes

blueprint = Blueprint("discovery", __name__)

CONFORMANCE = [
    "https://api.openeo.org/1.2.0",
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
]
# Paths that exist but are not openEO endpoints to announce.
_UNLISTED = {"/", "/.well-known/openeo"}
_HIDDEN_METHODS = {"HEAD", "OPTIONS"}


def implemented_endpoints() -> list[dict]:
    """Every openEO path and method this server has, read from the URL map so it cannot drift."""
    paths: dict[str, set[str]] = {}
    for rule in current_app.url_map.iter_rules():
        # Blueprints named "internal..." (signed downloads, map tiles, the web page, the administrator's
        # view) serve no openEO endpoints.
        if rule.endpoint == "static" or rule.endpoint.startswith("internal"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule).rstrip("/") or "/"
        if path in _UNLISTED:
            continue
        paths.setdefault(path, set()).update(rule.methods - _HIDDEN_METHODS)
    return [{"path": path, "methods": sorted(methods)} for path, methods in sorted(paths.items())]


class Capabilities(MethodView):
    def get(self):
        # A browser (asking for HTML before JSON) gets the web page; every API client the document. Both
        # say they vary with Accept, so that no cache gives one the other's answer.
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            page = redirect("app/", code=303)
            page.vary.add("Accept")
            return page
        server = services().config.server
        document = jsonify(
            {
                "api_version": API_VERSION,
                "backend_version": __version__,
                "stac_version": STAC_VERSION,
                "type": "Catalog",
                "id": server.id,
                "title": server.title,
                "description": server.description,
                "production": server.production,
                "conformsTo": CONFORMANCE,
                "endpoints": implemented_endpoints(),
                "links": [
                    link(public_url("/"), "self", server.title),
                    link(public_url("/.well-known/openeo"), "version-history", "Supported API versions"),
                    link(public_url("/collections"), "data", "Collections"),
                    link(public_url("/conformance"), "conformance", "Conformance classes"),
                ],
            }
        )
        document.vary.add("Accept")
        return document


class WellKnown(MethodView):
    def get(self):
        server = services().config.server
        return jsonify(
            {
                "versions": [
                    {"url": public_url("/"), "api_version": API_VERSION, "production": server.production},
                ]
            }
        )


class Conformance(MethodView):
    def get(self):
        return jsonify({"conformsTo": CONFORMANCE})


class FileFormats(MethodView):
    def get(self):
        return jsonify(file_formats())


class UdfRuntimes(MethodView):
    def get(self):
        return jsonify(udf_runtimes())


class ServiceTypes(MethodView):
    def get(self):
        return jsonify(SERVICE_TYPES)


for _path, _view in [
    ("/", Capabilities),
    ("/.well-known/openeo", WellKnown),
    ("/conformance", Conformance),
    ("/file_formats", FileFormats),
    ("/udf_runtimes", UdfRuntimes),
    ("/service_types", ServiceTypes),
]:
    blueprint.add_url_rule(_path, view_func=_view.as_view(_view.__name__.lower()))
