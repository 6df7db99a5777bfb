"""``GET /processes``: the predefined processes this back-end implements, with their full metadata.

Always all of them: paging this list is optional in the API, and clients that ask for a page do not all
follow ``next`` (the JavaScript client asks for 50 and would miss ``load_collection``)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.views import MethodView

from openeo_gip.api.common import link, public_url
from openeo_gip.auth.login import bearer_auth
from openeo_gip.processes.registry import offered

blueprint = Blueprint("processes", __name__)


class ProcessList(MethodView):
    decorators = [bearer_auth.login_required(optional=True)]

    def get(self):
        processes = [process.spec for process in offered().values()]
        return jsonify({"processes": processes, "links": [link(public_url("/processes"), "self")]})


blueprint.add_url_rule("/processes", view_func=ProcessList.as_view("list"))
