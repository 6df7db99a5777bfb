"""``inspect`` in a batch job: its entries land in ``GET /jobs/{id}/logs`` with their level, code and a
summary of the data; in a synchronous request the value passes through unchanged."""

from __future__ import annotations

import logging

import requests

from tests.jobs.conftest import create_job, wait_for
from tests.support.openapi import assert_valid_response


def inspected_graph() -> dict:
    """load_collection(S2, B04) -> inspect (warning) -> save_result, plus an inspect (debug) of a list."""
    return {
        "process_graph": {
            "load": {
                "process_id": "load_collection",
                "arguments": {"id": "S2", "spatial_extent": None, "temporal_extent": None, "bands": ["B04"]},
            },
            "look": {
                "process_id": "inspect",
                "arguments": {
                    "data": {"from_node": "load"},
                    "message": "the cube after loading",
                    "code": "AfterLoad",
                    "level": "warning",
                },
            },
            "numbers": {
                "process_id": "inspect",
                "arguments": {"data": [1, 2.5, None], "message": "some numbers", "level": "debug"},
            },
            "save": {
                "process_id": "save_result",
                "arguments": {"data": {"from_node": "look"}, "format": "netCDF"},
                "result": True,
            },
        }
    }


def _logs(url: str, headers: dict, job_id: str, level: str | None = None) -> list[dict]:
    query = f"?level={level}" if level else ""
    response = requests.get(f"{url}/jobs/{job_id}/logs{query}", headers=headers, timeout=30)
    assert response.status_code == 200
    assert_valid_response(url, response)
    return response.json()["logs"]


def test_inspect_writes_job_log_entries_with_level_and_summary(server, alice_headers, s2):
    url, headers = server.url, alice_headers
    job_id = create_job(url, headers, process=inspected_graph(), log_level="debug")
    assert requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).status_code == 202
    job = wait_for(url, headers, job_id)
    assert job["status"] == "finished", job

    entries = _logs(url, headers, job_id)
    cube_entry = next(e for e in entries if e["message"] == "the cube after loading")
    assert cube_entry["level"] == "warning" and cube_entry["code"] == "AfterLoad"
    summary = cube_entry["data"]
    assert summary["type"] == "datacube"
    assert summary["dimensions"] == ["t", "bands", "y", "x"]
    assert summary["shape"] == [len(s2.dates), 1, 32, 32]
    assert summary["labels"]["bands"] == ["B04"]
    assert summary["labels"]["t"] == [f"{d:%Y-%m-%d}T00:00:00Z" for d in s2.dates]
    assert "x" not in summary["labels"]  # 32 labels: too many to list

    numbers = next(e for e in entries if e["message"] == "some numbers")
    assert numbers["level"] == "debug" and numbers["code"] == "User" and numbers["data"] == [1, 2.5, None]

    # Filtering by level: the debug entry goes, the warning stays.
    warnings = _logs(url, headers, job_id, level="warning")
    messages = [e["message"] for e in warnings]
    assert "the cube after loading" in messages and "some numbers" not in messages
    assert all(e["level"] in ("warning", "error") for e in warnings)


def test_job_log_level_drops_entries_below_it(server, alice_headers, s2):
    url, headers = server.url, alice_headers
    job_id = create_job(url, headers, process=inspected_graph(), log_level="info")
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    messages = [e["message"] for e in _logs(url, headers, job_id, level="debug")]
    assert "the cube after loading" in messages and "some numbers" not in messages


def test_inspect_in_a_synchronous_request_returns_the_value_and_logs_it(server, alice_headers, caplog):
    url, headers = server.url, alice_headers
    graph = {
        "process_graph": {
            "look": {
                "process_id": "inspect",
                "arguments": {"data": [3, 4], "message": "sync look", "code": "Mine"},
            },
            "sum": {"process_id": "sum", "arguments": {"data": {"from_node": "look"}}, "result": True},
        }
    }
    with caplog.at_level(logging.INFO, logger="openeo_gip"):
        response = requests.post(f"{url}/result", json={"process": graph}, headers=headers, timeout=30)
    assert response.status_code == 200 and response.json() == 7
    logged = [r.getMessage() for r in caplog.records if "sync look" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].startswith("request ") and "[Mine]" in logged[0] and "data=[3, 4]" in logged[0]


def test_inspect_refuses_an_unknown_level(server, alice_headers):
    graph = {
        "process_graph": {
            "look": {"process_id": "inspect", "arguments": {"data": 1, "level": "loud"}, "result": True}
        }
    }
    response = requests.post(
        f"{server.url}/result", json={"process": graph}, headers=alice_headers, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["code"] in ("ProcessParameterInvalid", "ProcessGraphInvalid")
