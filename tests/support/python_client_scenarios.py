"""The scenarios of ``tests/node/js_client_scenarios.mjs``, done with the ``openeo`` Python client.

Each returns what its JavaScript twin prints (the same keys and kinds of values), so one test checks
both clients against the same server (tests/workflows/test_js_client.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openeo
from openeo.rest import OpenEoApiError
from openeo.rest.datacube import THIS

FINAL_STATUS = ("finished", "error", "canceled")
JOB_DEADLINE_SECONDS = 60

# The process of the OIDC login scenario: enough to show the login opens the API.
SUM = {"sum": {"process_id": "add", "arguments": {"x": 3, "y": 5}, "result": True}}
# The same user-defined process as the JavaScript scenario stores: the NDVI times a factor.
SCALED_NDVI = {
    "ndvi": {
        "process_id": "ndvi",
        "arguments": {"data": {"from_parameter": "data"}, "nir": "B08", "red": "B04"},
    },
    "scale": {
        "process_id": "apply",
        "arguments": {
            "data": {"from_node": "ndvi"},
            "process": {
                "process_graph": {
                    "times": {
                        "process_id": "multiply",
                        "arguments": {"x": {"from_parameter": "x"}, "y": {"from_parameter": "factor"}},
                        "result": True,
                    }
                }
            },
        },
        "result": True,
    },
}
SCALED_NDVI_PARAMETERS = [
    {
        "name": "data",
        "description": "A cube with B04 and B08",
        "schema": {"type": "object", "subtype": "datacube"},
    },
    {
        "name": "factor",
        "description": "Multiplier",
        "schema": {"type": "number"},
        "optional": True,
        "default": 1,
    },
]


@dataclass(frozen=True)
class OidcLogin:
    """A confidential client of an OpenID provider that openeo-gip lists as ``provider_id``."""

    provider_id: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Session:
    """What a scenario works with: the server, a user's logged-in connection, a folder for files."""

    url: str
    user: str
    password: str
    connection: openeo.Connection
    workdir: Path
    oidc: OidcLogin | None = None


def run(
    url: str, user: str, password: str, workdir: Path, names: list[str], oidc: OidcLogin | None = None
) -> dict[str, dict]:
    """Every scenario of ``names``, by name; ``{"error": ...}`` where the client raised."""
    connection = openeo.connect(url, auto_validate=False).authenticate_basic(user, password)
    session = Session(url, user, password, connection, workdir, oidc)
    results = {}
    for name in names:
        try:
            results[name] = SCENARIOS[name](session)
        except OpenEoApiError as error:
            results[name] = {"error": _error_of(error)}
    return results


def _error_of(error: OpenEoApiError) -> dict:
    return {"status": error.http_status_code, "code": error.code, "message": error.message}


def _ndvi_mean(connection: openeo.Connection):
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    return cube.ndvi(nir="B08", red="B04").reduce_dimension(dimension="t", reducer="mean")


def capabilities(session: Session) -> dict:
    anonymous = openeo.connect(session.url)
    return {
        "api_version": anonymous.capabilities().api_version(),
        "backend_version": anonymous.capabilities().get("backend_version"),
        "output_formats": list(anonymous.list_file_formats()["output"]),
        "auth_providers": [provider["type"] for provider in anonymous.list_auth_providers()],
    }


def login(session: Session) -> dict:
    try:
        openeo.connect(session.url).authenticate_basic(session.user, session.password + " typo")
        refused = None
    except OpenEoApiError as error:
        refused = _error_of(error)
    return {
        "authenticated": session.connection.auth is not None,
        "user_id": session.connection.describe_account()["user_id"],
        "wrong_password": refused,
    }


def discovery(session: Session) -> dict:
    connection = session.connection
    s2 = connection.describe_collection("S2")
    return {
        "collections": connection.list_collection_ids(),
        "processes": [process["id"] for process in connection.list_processes()],
        "s2": {
            "id": s2["id"],
            "dimensions": list(s2["cube:dimensions"]),
            "bands": [band["name"] for band in s2["summaries"]["eo:bands"]],
        },
    }


def ndvi_sync(session: Session) -> dict:
    target = session.workdir / "ndvi_sync.tif"
    _ndvi_mean(session.connection).download(target, format="GTiff")
    return {"file": str(target)}


def batch_job(session: Session) -> dict:
    job = _ndvi_mean(session.connection).save_result(format="GTiff").create_job(title="Python NDVI mean")
    statuses = [job.status()]
    job.start_job()
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while statuses[-1] not in FINAL_STATUS and time.monotonic() < deadline:
        time.sleep(0.3)
        if job.status() != statuses[-1]:
            statuses.append(job.status())
    logs = job.logs()
    results = job.get_results()
    return {
        "id": job.job_id,
        "title": job.describe()["title"],
        "statuses": statuses,
        "listed": [listed["id"] for listed in session.connection.list_jobs()],
        "logs": [{"id": entry["id"], "level": entry["level"], "message": entry["message"]} for entry in logs],
        "logs_after_last": len(job.logs(offset=logs[-1]["id"])) if logs else None,
        "assets": [
            {"href": asset.href, "type": asset.metadata.get("type")} for asset in results.get_assets()
        ],
        "downloaded": [str(path) for path in results.download_files(session.workdir / "job")],
    }


def files(session: Session) -> dict:
    connection = session.connection
    source = session.workdir / "upload.bin"
    source.write_bytes(bytes((i * 7) % 256 for i in range(3000)))
    uploaded = connection.upload_file(source, target="py/sub folder/upload.bin")
    listed = [{"path": str(file.path), "size": file.metadata.get("size")} for file in connection.list_files()]
    target = session.workdir / "downloaded.bin"
    connection.get_file("py/sub folder/upload.bin").download(target)
    connection.get_file("py/sub folder/upload.bin").delete()
    return {
        "source": str(source),
        "uploaded": {"path": str(uploaded.path), "size": uploaded.metadata.get("size")},
        "listed": listed,
        "downloaded": str(target),
        "after_delete": [str(file.path) for file in connection.list_files()],
    }


def user_process(session: Session) -> dict:
    connection = session.connection
    process_id = "py_scaled_ndvi"
    stored = connection.save_user_defined_process(
        process_id, SCALED_NDVI, parameters=SCALED_NDVI_PARAMETERS, summary="NDVI times a factor"
    )
    listed = [process["id"] for process in connection.list_user_defined_processes()]
    described = stored.describe()
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    scaled = cube.process(process_id, {"data": THIS, "factor": 100}, namespace="user")
    target = session.workdir / "udp_max.tif"
    scaled.reduce_dimension(dimension="t", reducer="max").download(target, format="GTiff")
    stored.delete()
    return {
        "listed": listed,
        "described": {
            "id": described["id"],
            "summary": described.get("summary"),
            "parameters": [parameter["name"] for parameter in described["parameters"]],
        },
        "file": str(target),
        "after_delete": [process["id"] for process in connection.list_user_defined_processes()],
    }


def validate(session: Session) -> dict:
    connection = session.connection
    valid = connection.validate_process_graph(_ndvi_mean(connection).save_result(format="GTiff"))
    invalid = connection.validate_process_graph(
        {
            "load": {
                "process_id": "load_collection",
                "arguments": {"id": "NOPE", "spatial_extent": None, "temporal_extent": None},
            },
            "add": {"process_id": "add", "arguments": {"x": 1}, "result": True},
        }
    )
    return {"valid": [error["code"] for error in valid], "invalid": [error["code"] for error in invalid]}


def oidc_login(session: Session) -> dict:
    """A login of a confidential client at the OpenID provider (client credentials), then a process."""
    client = session.oidc
    connection = openeo.connect(session.url, auto_validate=False).authenticate_oidc_client_credentials(
        client_id=client.client_id, client_secret=client.client_secret, provider_id=client.provider_id
    )
    return {"account": connection.describe_account()["name"], "sum": connection.execute(SUM)}


SCENARIOS: dict[str, Callable[[Session], dict]] = {
    function.__name__: function
    for function in (
        capabilities,
        login,
        oidc_login,
        discovery,
        ndvi_sync,
        batch_job,
        files,
        user_process,
        validate,
    )
}
