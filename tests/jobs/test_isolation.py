"""Two users: neither can see, change, start, cancel, estimate, read logs of or download the other's jobs."""

from __future__ import annotations

import base64
import json

import requests

from tests.conftest import bearer_for
from tests.jobs.conftest import create_job, wait_for


def test_every_job_endpoint_refuses_other_users(server, alice_headers, bob):
    url = server.url
    job_id = create_job(url, alice_headers, title="alice's")
    requests.post(f"{url}/jobs/{job_id}/results", headers=alice_headers, timeout=30)
    assert wait_for(url, alice_headers, job_id)["status"] == "finished"
    bob_headers = bearer_for(url, "bob")

    attempts = [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("get", "/results"),
        ("post", "/results"),
        ("delete", "/results"),
        ("get", "/estimate"),
        ("get", "/logs"),
    ]
    for method, path in attempts:
        body = {"title": "bob was here"} if method == "patch" else None
        response = requests.request(
            method, f"{url}/jobs/{job_id}{path}", json=body, headers=bob_headers, timeout=30
        )
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "JobNotFound", (method, path)
    assert requests.get(f"{url}/jobs", headers=bob_headers, timeout=30).json()["jobs"] == []

    # Alice's job is untouched by all of that.
    job = requests.get(f"{url}/jobs/{job_id}", headers=alice_headers, timeout=30).json()
    assert job["status"] == "finished" and job["title"] == "alice's"
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=alice_headers, timeout=30).json()
    assert len(stac["assets"]) == 2


def test_a_link_opens_only_its_own_file(server, alice_headers, bob):
    """A link's token names one job and one file: it cannot be bent to another job's files."""
    url = server.url
    bob_headers = bearer_for(url, "bob")
    alice_job = create_job(url, alice_headers)
    bob_job = create_job(url, bob_headers)
    for headers, job_id in ((alice_headers, alice_job), (bob_headers, bob_job)):
        requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    for headers, job_id in ((alice_headers, alice_job), (bob_headers, bob_job)):
        assert wait_for(url, headers, job_id)["status"] == "finished"
    bob_stac = requests.get(f"{url}/jobs/{bob_job}/results", headers=bob_headers, timeout=30).json()
    alice_stac = requests.get(f"{url}/jobs/{alice_job}/results", headers=alice_headers, timeout=30).json()
    bob_link = next(iter(bob_stac["assets"].values()))["href"]
    alice_names = sorted(alice_stac["assets"])
    assert requests.get(bob_link, timeout=30).status_code == 200
    # Rewriting the job id inside bob's token (payload.signature) to alice's breaks the signature.
    payload, signature = bob_link.split("/download/")[1].split("/")[0].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims[0] == bob_job and claims[1] in alice_names
    claims[0] = alice_job
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=")
    forged = f"{url}/download/{forged_payload.decode()}.{signature}"
    response = requests.get(forged, timeout=30)
    assert response.status_code == 403
    assert alice_job not in response.text and "Traceback" not in response.text
