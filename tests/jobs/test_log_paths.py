"""A failed job's log names the user's own files as ``/files`` does, never by their place on the server."""

from __future__ import annotations

import json

import requests

from tests.jobs.conftest import create_job, wait_for
from tests.support.stac_files import point_item


def test_error_entry_names_the_file_relative_to_the_workspace(server, alice_headers, tmp_path):
    url, headers = server.url, alice_headers
    for path, body in (
        ("stac/broken.tif", b"not a raster"),
        ("stac/item.json", json.dumps(point_item({"a0": "./broken.tif"})).encode()),
    ):
        assert requests.put(f"{url}/files/{path}", data=body, headers=headers, timeout=30).status_code == 200
    graph = {
        "load": {"process_id": "load_stac", "arguments": {"url": "stac/item.json"}},
        "save": {
            "process_id": "save_result",
            "arguments": {"data": {"from_node": "load"}, "format": "GTiff"},
            "result": True,
        },
    }
    job_id = create_job(url, headers, {"process_graph": graph})
    assert requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).status_code == 202
    assert wait_for(url, headers, job_id)["status"] == "error"
    logs = requests.get(f"{url}/jobs/{job_id}/logs", headers=headers, timeout=30).json()["logs"]
    errors = [entry for entry in logs if entry["level"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "ProcessParameterInvalid", errors
    assert "'stac/broken.tif'" in errors[0]["message"]
    assert str(tmp_path) not in json.dumps(logs)
