"""``GET /processes``: the predefined processes this back-end implements, with their full metadata."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.views import MethodView

from openeo_gip.api.common import link, page_links, paging, public_url
from openeo_gip.auth.login import bearer_auth
from openeo_gip.processes.registry import offered

blueprint = Blueprint("processes", __name__)


class ProcessList(MethodView):
    decorators = [bearer_auth.login_required(optional=True)]

    def get(self):
        limit, offset = paging()
        processes = list(offered().values())
        shown = processes[offset : offset + limit] if limit else processes[offset:]
        links = [link(public_url("/processes"), "self")]
        links += page_links("/processes", limit, offset, len(processes))
        return jsonify({"processes": [process.spec for process in shown], "links": links})


blueprint.add_url_rule("/processes", view_func=ProcessList.as_view("list"))
