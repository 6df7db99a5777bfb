"""EO data discovery: the collections of the catalogue, their metadata and queryables."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from flask.views import MethodView

from openeo_gip.api.common import link, public_url, services, whole_number
from openeo_gip.auth.login import bearer_auth, current_user
from openeo_gip.catalog.metadata import collection_document, queryables_document
from openeo_gip.errors import ApiError
from openeo_gip.raster.records import CollectionRecord

blueprint = Blueprint("collections", __name__)

# Pages of GET /collections are kept serialised (``services().collection_pages``) by the identity of the
# records listed, the base URL and the page. A reloaded catalogue (or a user's changed workspace) has new
# record objects, so a new key; each entry holds its records, so their ids cannot be reused meanwhile.
_MAX_PAGES = 32


def _page_arguments() -> tuple[int | None, int]:
    raw_limit = request.args.get("limit", "")
    raw_next = request.args.get("next", "")
    limit = None
    if raw_limit:
        limit = whole_number(raw_limit)
        if not limit:
            raise ApiError("ParameterInvalid", parameter="limit", reason="must be a positive integer")
    start = whole_number(raw_next or "0")
    if start is None:
        raise ApiError("ParameterInvalid", parameter="next", reason="use the link given in the last page")
    return limit, start


class CollectionList(MethodView):
    # Login is optional (collections are public); a token that is sent must be valid.
    decorators = [bearer_auth.login_required(optional=True)]

    def get(self):
        limit, start = _page_arguments()
        records = services().catalog.list(user=current_user())
        base = public_url()
        key = (base, limit, start, *map(id, records))
        pages = services().collection_pages
        cached = pages.get(key)
        if cached is None:
            cached = records, jsonify(_list_page(records, base, limit, start)).get_data()
            if len(pages) >= _MAX_PAGES:
                pages.clear()
            pages[key] = cached
        return Response(cached[1], mimetype="application/json")


def _list_page(records: list[CollectionRecord], base: str, limit: int | None, start: int) -> dict:
    stop = len(records) if limit is None else min(start + limit, len(records))
    page = [collection_document(record, base, full=False) for record in records[start:stop]]
    links = [
        link(public_url("/collections"), "self", "Collections"),
        link(public_url("/"), "root", "Capabilities"),
    ]
    if limit is not None and stop < len(records):
        query = urlencode({"limit": limit, "next": stop})
        links.append(link(public_url(f"/collections?{query}"), "next", "Next page"))
    if limit is not None and start > 0:
        query = urlencode({"limit": limit, "next": max(start - limit, 0)})
        links.append(link(public_url(f"/collections?{query}"), "prev", "Previous page"))
    return {"collections": page, "links": links}


class CollectionDetail(MethodView):
    decorators = [bearer_auth.login_required(optional=True)]

    def get(self, collection_id: str):
        record = services().catalog.get(collection_id, user=current_user())
        return jsonify(collection_document(record, public_url()))


class Queryables(MethodView):
    decorators = [bearer_auth.login_required(optional=True)]

    def get(self, collection_id: str):
        record = services().catalog.get(collection_id, user=current_user())
        response = jsonify(queryables_document(record, public_url()))
        response.mimetype = "application/schema+json"
        return response


blueprint.add_url_rule("/collections", view_func=CollectionList.as_view("list"))
blueprint.add_url_rule("/collections/<collection_id>", view_func=CollectionDetail.as_view("detail"))
blueprint.add_url_rule("/collections/<collection_id>/queryables", view_func=Queryables.as_view("queryables"))
