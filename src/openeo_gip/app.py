"""The app factory: builds the services (runtime.py) and wires errors, CORS, security headers, the trusted
hosts and the API blueprints."""

from __future__ import annotations

import logging
import socket

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, SecurityError

from openeo_gip.api import register_blueprints
from openeo_gip.api.common import services
from openeo_gip.auth.login import current_user
from openeo_gip.config import Config
from openeo_gip.errors import ApiError, internal_error
from openeo_gip.runtime import build_services
from openeo_gip.web import blueprint as web_blueprint
from openeo_gip.workspace import hide_server_paths
from openeo_gip.workspace.scratch import remove_abandoned_scratch

log = logging.getLogger(__name__)

# Headers browser clients (the Web Editor) may read and send, as the openEO API asks.
EXPOSED_HEADERS = "Location, OpenEO-Identifier, OpenEO-Costs, Link"
ALLOWED_HEADERS = "Authorization, Content-Type, Range"
ALLOWED_METHODS = "OPTIONS, GET, POST, PATCH, PUT, DELETE"
# On every response: the API serves JSON and files, never pages, so a browser may neither guess a type,
# frame a response, run anything in one (an uploaded HTML file), nor pass a signed link on as a referrer.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"]


def create_app(config: Config, *, upgrade_db: bool = True) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False
    # "/files//etc/passwd" must reach the path checks, not be redirected to a merged path.
    app.url_map.merge_slashes = False
    app.config["TRUSTED_HOSTS"] = trusted_hosts(config)
    services = build_services(config, upgrade_db=upgrade_db)
    remove_abandoned_scratch(config)  # left by a server that crashed or was killed
    app.extensions["openeo_gip"] = services
    if services.jobs is not None:
        services.jobs.start()
    register_blueprints(app, config)
    app.register_blueprint(web_blueprint)
    _register_error_handlers(app)
    _register_cors(app)
    return app


def trusted_hosts(config: Config) -> list[str] | None:
    """The hosts a request may name (``None``: any). Links are built from the request's host only without a
    public URL, so only then is it checked, against loopback names, ``server.host`` and the machine's own
    name and ``server.allowed_hosts``: a forged Host header never reaches a link."""
    server = config.server
    if server.public_url or "*" in server.allowed_hosts:
        return None
    names = [*LOOPBACK_HOSTS, socket.gethostname(), *server.allowed_hosts]
    if server.host not in ("0.0.0.0", "::", ""):
        names.append(server.host)
    return names


def _error_response(error: ApiError) -> Response:
    body = error.to_dict()
    user = current_user()
    body["message"] = hide_server_paths(body["message"], services().config, user.id if user else None)
    response = jsonify(body)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return _error_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, SecurityError):  # a Host outside trusted_hosts
            host = request.headers.get("Host", "")[:200]
            reason = (
                f"this server does not answer to the host '{host}'; its administrator can name it in "
                "server.allowed_hosts, or set server.public_url"
            )
            return _error_response(ApiError("HostNotAllowed", reason=reason))
        if isinstance(error, NotFound):
            return _error_response(ApiError("NotFound"))
        if isinstance(error, MethodNotAllowed):
            allowed = ", ".join(sorted(error.valid_methods or []))
            api = ApiError("MethodNotAllowed", method=request.method, allowed=allowed)
            api.headers["Allow"] = allowed
            return _error_response(api)
        code = "".join(part.capitalize() for part in (error.name or "Error").split())
        message = error.description or error.name
        return _error_response(ApiError(code, message, status=error.code or 500))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        return _error_response(internal_error(log, f"{request.method} {request.path}", error))


def _register_cors(app: Flask) -> None:
    @app.before_request
    def preflight():
        if request.method == "OPTIONS":
            return Response(status=204)
        return None

    @app.after_request
    def cors_headers(response: Response) -> Response:
        # Any origin, as the API recommends, and never with credentials: tokens travel in the
        # Authorization header, which a page can only send when it holds the token already.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        for name, value in SECURITY_HEADERS.items():
            # The web page (openeo_gip.web) sets its own Content-Security-Policy, to run its scripts.
            response.headers.setdefault(name, value)
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "3600"
        return response
