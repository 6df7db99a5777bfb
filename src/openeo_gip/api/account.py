"""Logging in and the caller's own account."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.views import MethodView

from openeo_gip.api.common import link, public_url, services
from openeo_gip.auth.login import basic_auth, bearer_auth, current_user, roles_of
from openeo_gip.auth.tokens import issue_token
from openeo_gip.workspace import storage_used

blueprint = Blueprint("account", __name__)
# Registered only when OIDC providers are configured: the API wants at least one listed.
oidc_blueprint = Blueprint("oidc", __name__)


class BasicCredentials(MethodView):
    decorators = [basic_auth.login_required]

    def get(self):
        user = basic_auth.current_user()
        token = issue_token(services().db, user, services().config.auth.token_lifetime_hours)
        return jsonify({"access_token": token})


class OidcCredentials(MethodView):
    def get(self):
        providers = []
        for provider in services().config.auth.oidc_providers:
            entry = {
                "id": provider.id,
                "issuer": provider.issuer,
                "title": provider.title,
                "scopes": provider.scopes,
            }
            if provider.description:
                entry["description"] = provider.description
            if provider.default_clients:
                entry["default_clients"] = [client.model_dump() for client in provider.default_clients]
            providers.append(entry)
        return jsonify({"providers": providers})


class Me(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self):
        user = current_user()
        quota = services().config.quota.storage_bytes
        used = storage_used(services().config, user.id)
        return jsonify(
            {
                "user_id": user.id,
                "name": user.name,
                "roles": roles_of(user),
                "storage": {"quota": quota, "free": max(quota - used, 0)},
                "budget": None,
                "links": [link(public_url("/files"), "related", "Your files")],
            }
        )


blueprint.add_url_rule("/credentials/basic", view_func=BasicCredentials.as_view("credentials_basic"))
oidc_blueprint.add_url_rule("/credentials/oidc", view_func=OidcCredentials.as_view("credentials_oidc"))
blueprint.add_url_rule("/me", view_func=Me.as_view("me"))
