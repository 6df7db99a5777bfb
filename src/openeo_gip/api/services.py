"""Secondary web services: ``/services`` and everything under it (owned by one user), and the map tiles
they serve without a login at addresses carrying each service's secret (XYZ, WMTS), plus the map tiles
of finished job results at signed addresses.

Drawing tiles is ``openeo_gip.services``'s; this module only speaks HTTP.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.views import MethodView

from openeo_gip.api.common import (
    created,
    json_body,
    logs_response,
    page_links,
    paging,
    public_url,
    services,
    whole_number,
)
from openeo_gip.api.process_graphs import check_process
from openeo_gip.auth.login import bearer_auth, current_user
from openeo_gip.db.logs import LEVELS
from openeo_gip.db.models import Service
from openeo_gip.db.services import (
    create_service,
    delete_service,
    list_services,
    owned_service,
    read_service_logs,
    service_by_secret,
    update_service,
)
from openeo_gip.errors import ApiError
from openeo_gip.jobs.previews import previewed_file
from openeo_gip.model.dates import rfc3339
from openeo_gip.services.draw import file_tile, service_tile
from openeo_gip.services.tiles import Tile, tile_or_none
from openeo_gip.services.types import PROCESS_PARAMETERS, checked_configuration, service_type
from openeo_gip.services.wmts import MATRIX_SET, capabilities

blueprint = Blueprint("services", __name__)
# Endpoints of blueprints named "internal..." are left out of the capabilities document.
tiles_blueprint = Blueprint("internal_tiles", __name__)

# Other properties (plan, budget, back-end specific ones) are accepted and ignored: no plans or costs here.
_EDITABLE = ("title", "description", "process", "enabled", "configuration", "log_level")
_PNG = "image/png"


def service_url(service: Service) -> str:
    """The address map clients use: XYZ tiles are ``{url}/{z}/{x}/{y}.png``, WMTS is a KVP endpoint."""
    kind = "tiles" if service.type == "XYZ" else "wmts"
    return public_url(f"/{kind}/{service.secret}")


def _describe(service: Service, full: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": service.id,
        "title": service.title,
        "description": service.description,
        "url": service_url(service),
        "type": service.type,
        "enabled": service.enabled,
        "created": rfc3339(service.created),
        "costs": 0,
    }
    if full:
        document.update(
            process=service.process,
            configuration=service.configuration or {},
            attributes={"tile_matrix_set": MATRIX_SET},
            usage={"tiles": {"value": service.tiles_rendered, "unit": "tiles"}},
            log_level=service.log_level,
        )
    return document


def _fields(body: Any, *, creating: bool) -> dict[str, Any]:
    """The service columns of a POST or PATCH body, checked."""
    if not isinstance(body, dict):
        raise ApiError("RequestBodyInvalid", reason="expected a JSON object")
    if creating and "process" not in body:
        raise ApiError("ProcessGraphMissing")
    if not creating and "type" in body:
        raise ApiError("PropertyNotEditable", property="type")
    fields: dict[str, Any] = {}
    for name in _EDITABLE:
        if name not in body:
            continue
        value = body[name]
        if name in ("title", "description") and not (value is None or isinstance(value, str)):
            raise ApiError("RequestBodyInvalid", reason=f"'{name}' must be a string or null")
        if name == "enabled" and not isinstance(value, bool):
            raise ApiError("RequestBodyInvalid", reason="'enabled' must be true or false")
        if name == "log_level" and value not in LEVELS:
            raise ApiError("RequestBodyInvalid", reason=f"'log_level' must be one of {', '.join(LEVELS)}")
        if name == "configuration":
            value = checked_configuration(value)
        if name == "process":
            check_process(value, {parameter["name"]: None for parameter in PROCESS_PARAMETERS})
        fields[name] = value
    if creating:
        fields["type"] = service_type(body.get("type"))
    return fields


def _owned(service_id: str) -> Service:
    service = owned_service(services().db, service_id, current_user().id)
    if service is None:
        raise ApiError("ServiceNotFound", identifier=service_id)
    return service


class ServiceList(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self):
        limit, offset = paging()
        found, total = list_services(services().db, current_user().id, limit, offset)
        return jsonify(
            {
                "services": [_describe(service, full=False) for service in found],
                "links": page_links("/services", limit, offset, total),
            }
        )

    def post(self):
        fields = _fields(json_body(), creating=True)
        service = create_service(services().db, current_user().id, fields)
        return created(_describe(service, full=False), f"/services/{service.id}", service.id)


class ServiceItem(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self, service_id: str):
        services().tile_counts.write()  # its usage counts every tile drawn so far
        return jsonify(_describe(_owned(service_id), full=True))

    def patch(self, service_id: str):
        service = _owned(service_id)
        fields = _fields(json_body(), creating=False)
        if not fields:
            raise ApiError("NoDataForUpdate")
        update_service(services().db, service.id, fields)
        services().tiles.invalidate(service.id)
        return "", 204

    def delete(self, service_id: str):
        service = _owned(service_id)
        delete_service(services().db, service.id)
        services().tiles.invalidate(service.id)
        return "", 204


class ServiceLogs(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self, service_id: str):
        service = _owned(service_id)
        return logs_response(
            f"/services/{service.id}/logs",
            service.log_level,
            partial(read_service_logs, services().db, service.id),
        )


def _serving(secret: str) -> Service:
    """The enabled service of ``secret``: 404 when there is none (deleted), 403 when it is disabled."""
    service = service_by_secret(services().db, secret)
    if service is None:
        raise ApiError("ServiceNotFound", "There is no service at this address.")
    if not service.enabled:
        raise ApiError("PermissionsInsufficient", "This service is disabled; its owner can enable it again.")
    return service


def _tile(z: int, x: int, y: int) -> Tile:
    tile = tile_or_none(z, x, y)
    if tile is None:
        raise ApiError("NotFound", f"There is no tile {z}/{x}/{y} in the Web Mercator tile grid.")
    return tile


def _png(picture: bytes) -> Response:
    response = Response(picture, mimetype=_PNG)
    response.headers["Cache-Control"] = "private, max-age=60"  # PATCH changes tiles; keep it short
    return response


class XyzTile(MethodView):
    def get(self, secret: str, z: int, x: int, y: int):
        service = _serving(secret)
        return _png(service_tile(services(), service, _tile(z, x, y)))


class WmtsTile(MethodView):
    """The RESTful GetTile: ``{url}/tile/{TileMatrix}/{TileRow}/{TileCol}.png``."""

    def get(self, secret: str, z: int, row: int, col: int):
        service = _serving(secret)
        return _png(service_tile(services(), service, _tile(z, col, row)))


class WmtsCapabilities(MethodView):
    """The RESTful capabilities document ``{url}/WMTSCapabilities.xml``."""

    def get(self, secret: str):
        return _capabilities(_serving(secret))


class WmtsKvp(MethodView):
    """``{url}?SERVICE=WMTS&REQUEST=GetCapabilities`` and ``...&REQUEST=GetTile&TILEMATRIX=..``."""

    def get(self, secret: str):
        service = _serving(secret)
        args = {key.upper(): value for key, value in request.args.items()}
        operation = args.get("REQUEST", "GetCapabilities")
        if operation.lower() == "getcapabilities":
            return _capabilities(service)
        if operation.lower() != "gettile":
            raise ApiError("ParameterInvalid", parameter="REQUEST", reason="use GetCapabilities or GetTile")
        numbers = []
        for name in ("TILEMATRIX", "TILECOL", "TILEROW"):
            number = whole_number(args.get(name, ""))
            if number is None:
                raise ApiError("ParameterInvalid", parameter=name, reason="expected a whole number")
            numbers.append(number)
        if args.get("TILEMATRIXSET", MATRIX_SET) != MATRIX_SET:
            raise ApiError(
                "ParameterInvalid", parameter="TILEMATRIXSET", reason=f"the only one is {MATRIX_SET}"
            )
        return _png(service_tile(services(), service, _tile(*numbers)))


def _capabilities(service: Service) -> Response:
    document = capabilities(service_url(service), service.id, service.title or f"openEO service {service.id}")
    return Response(document, mimetype="application/xml")


class ResultTile(MethodView):
    """A tile of a finished job's raster result, at the signed address of its results document."""

    def get(self, token: str, z: int, x: int, y: int):
        previewed = previewed_file(services().config, services().db, token)
        if previewed is None:
            raise ApiError("NotFound")
        return _png(file_tile(services(), previewed.path, _tile(z, x, y)))


blueprint.add_url_rule("/services", view_func=ServiceList.as_view("list"))
blueprint.add_url_rule("/services/<service_id>", view_func=ServiceItem.as_view("item"))
blueprint.add_url_rule("/services/<service_id>/logs", view_func=ServiceLogs.as_view("logs"))
tiles_blueprint.add_url_rule("/tiles/<secret>/<int:z>/<int:x>/<int:y>.png", view_func=XyzTile.as_view("xyz"))
tiles_blueprint.add_url_rule("/wmts/<secret>", view_func=WmtsKvp.as_view("wmts"))
tiles_blueprint.add_url_rule(
    "/wmts/<secret>/WMTSCapabilities.xml", view_func=WmtsCapabilities.as_view("wmts_capabilities")
)
tiles_blueprint.add_url_rule(
    "/wmts/<secret>/tile/<int:z>/<int:row>/<int:col>.png", view_func=WmtsTile.as_view("wmts_tile")
)
tiles_blueprint.add_url_rule(
    "/previews/<token>/<int:z>/<int:x>/<int:y>.png", view_func=ResultTile.as_view("result_tile")
)
