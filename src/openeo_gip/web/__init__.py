"""The web page of the server (``/app``): a small application in the browser that calls the openEO API.

Its files are built from ``web/`` of the repository by ``make web`` (the map library comes from the npm
registry) into ``static/`` here; this module only serves them, with a content policy that lets the page
run its own scripts and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, redirect, send_from_directory

STATIC = Path(__file__).parent / "static"
# The page's own scripts, styles, images and API calls; no inline code, no other origin, no framing.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>openeo-gip</title></head>
<body><h1>openeo-gip</h1><p>The web page of this server was not built: npm was missing when it was
installed. Run <code>make web</code> in the repository (it needs Node.js and npm), then reload.</p>
<p>The openEO API answers as usual: connect any openEO client to this address.</p></body></html>"""

# Endpoints of blueprints named "internal..." are left out of the capabilities document.
blueprint = Blueprint("internal_web", __name__)


@blueprint.after_request
def page_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


@blueprint.get("/app")
def app_without_slash():
    # The page names its files relative to /app/, so it must be opened there.
    return redirect("app/", code=308)


@blueprint.get("/app/")
def page():
    if not (STATIC / "index.html").is_file():
        return Response(NOT_BUILT, status=503, mimetype="text/html")
    return send_from_directory(STATIC, "index.html", max_age=0)


@blueprint.get("/app/static/<path:name>")
def static_file(name: str):
    # send_from_directory refuses paths that leave STATIC (a NotFound, as for a missing file).
    return send_from_directory(STATIC, name, max_age=300)
