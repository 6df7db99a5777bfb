"""HTTP API: one blueprint per area of the openEO API, one MethodView class per endpoint."""

from flask import Flask

from openeo_gip.api import account, discovery, files
from openeo_gip.config import Config


def register_blueprints(app: Flask, config: Config) -> None:
    for module in (discovery, account, files):
        app.register_blueprint(module.blueprint)
    if config.auth.oidc_providers:
        app.register_blueprint(account.oidc_blueprint)
