"""A UDF sent to a server process: ``run_udf`` on the tiny demo elevation model through ``POST /result``."""

from __future__ import annotations

import requests

from tests.support.server_process import ServerProcess


def graph(code: str, context: dict) -> dict:
    return {
        "process": {
            "process_graph": {
                "load": {
                    "process_id": "load_collection",
                    "arguments": {"id": "DEM_DEMO", "spatial_extent": None, "temporal_extent": None},
                },
                "udf": {
                    "process_id": "run_udf",
                    "arguments": {
                        "data": {"from_node": "load"},
                        "udf": code,
                        "runtime": "Python",
                        "context": context,
                    },
                    "result": True,
                },
            }
        }
    }


def run_udf(server: ServerProcess, code: str, context: dict | None = None) -> requests.Response:
    return requests.post(
        f"{server.url}/result", json=graph(code, context or {}), headers=server.token("alice"), timeout=120
    )
