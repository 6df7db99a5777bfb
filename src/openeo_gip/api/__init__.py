"""HTTP API: one blueprint per area of the openEO API, one MethodView class per endpoint."""

from flask import Flask

from openeo_gip.api import (
    account,
    admin,
    collections,
    discovery,
    files,
    jobs,
    process_graphs,
    processes,
    results,
    services,
)
from openeo_gip.config import Config


def register_blueprints(app: Flask, config: Config) -> None:
    areas = (discovery, account, files, collections, processes, results, process_graphs, jobs, services)
    for module in areas:
        app.register_blueprint(module.blueprint)
    app.register_blueprint(jobs.download_blueprint)
    app.register_blueprint(services.tiles_blueprint)
    app.register_blueprint(admin.blueprint)
    if config.auth.oidc_providers:
        app.register_blueprint(account.oidc_blueprint)
