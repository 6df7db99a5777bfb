"""Signed download links: bound to one job and file, expiring, refused when changed, revealing nothing."""

from __future__ import annotations

import time

import pytest
import requests

from openeo_gip.errors import ApiError
from openeo_gip.jobs.links import sign, signing_secret, verify
from tests.jobs.conftest import create_job, wait_for


def test_tampered_and_expired_links_are_refused(server, app, alice_headers):
    url, headers = server.url, alice_headers
    config = app.extensions["openeo_gip"].config
    job_id = create_job(url, headers)
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30)
    assert wait_for(url, headers, job_id)["status"] == "finished"
    stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers, timeout=30).json()
    name, asset = next(iter(stac["assets"].items()))
    assert requests.get(asset["href"], timeout=30).status_code == 200

    token = asset["href"].rsplit("/", 1)[1]
    # Change a character inside the signature: the last one may carry only padding bits.
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    for bad in (flipped, "x" + token, "garbage", token.split(".")[0]):
        response = requests.get(f"{url}/download/{bad}", timeout=30)
        assert response.status_code == 403, bad
        assert (
            response.json()["code"] == "LinkInvalid"
            and name not in response.text
            and job_id not in response.text
        )

    expired = sign(config, job_id, name, int(time.time()) - 1)
    response = requests.get(f"{url}/download/{expired}", timeout=30)
    assert response.status_code == 410 and response.json()["code"] == "ResultLinkExpired"

    # A valid signature for a file the job does not have (e.g. another user's path) finds nothing.
    outside = sign(config, job_id, "../../files/secret.txt", int(time.time()) + 60)
    assert requests.get(f"{url}/download/{outside}", timeout=30).status_code == 404


def test_links_expire_after_the_configured_time(config):
    now = time.time()
    config.jobs.link_expiry_hours = 2
    from openeo_gip.jobs.links import expiry

    token = sign(config, "job", "result.tif", expiry(config, now))
    assert verify(config, token, now=now + 2 * 3600 - 5).file == "result.tif"
    with pytest.raises(ApiError) as error:
        verify(config, token, now=now + 2 * 3600 + 5)
    assert error.value.status == 410


def test_the_random_key_is_kept_and_a_configured_one_wins(config, tmp_path):
    first = signing_secret(config)
    assert len(first) >= 40 and signing_secret(config) == first
    key_file = config.paths.system_files / "download-signing.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    token = sign(config, "job", "a.tif", int(time.time()) + 60)
    config.jobs.signing_secret = "another key"
    with pytest.raises(ApiError) as error:
        verify(config, token)
    assert error.value.status == 403
