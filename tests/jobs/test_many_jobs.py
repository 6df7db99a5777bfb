"""50 jobs from 5 users submitted at once all finish with correct results, within the running limits."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import rasterio
import requests
from sqlalchemy import func, select

from openeo_gip.db.models import Job
from tests.conftest import add_user, bearer_for
from tests.jobs.conftest import create_job, load_graph, wait_for

# Fifty batch jobs run to their end: about ten seconds.
pytestmark = pytest.mark.slow

USERS = 5
JOBS_PER_USER = 10


def test_fifty_jobs_of_five_users(server, app, s2):
    url = server.url
    limits = app.extensions["openeo_gip"].config.jobs
    headers = {}
    for number in range(USERS):
        add_user(app, f"user{number}")
        headers[f"user{number}"] = bearer_for(url, f"user{number}")
    # Each job saves one band of one user's choice, so results differ between jobs and are checked apart.
    bands = ["B02", "B03", "B04", "B08"]
    orders = [
        (name, bands[(i + n) % len(bands)]) for n, name in enumerate(headers) for i in range(JOBS_PER_USER)
    ]

    def submit(order):
        name, band = order
        job_id = create_job(url, headers[name], process=load_graph(bands=(band,)))
        assert (
            requests.post(f"{url}/jobs/{job_id}/results", headers=headers[name], timeout=30).status_code
            == 202
        )
        return name, band, job_id

    peak = {"all": 0, "user": 0}
    done = threading.Event()
    db = app.extensions["openeo_gip"].db

    def sample() -> None:  # the database's own view of what runs, while the jobs go through
        while not done.is_set():
            with db.session() as session:
                per_user = session.execute(
                    select(Job.user_id, func.count()).where(Job.status == "running").group_by(Job.user_id)
                ).all()
            peak["all"] = max(peak["all"], sum(count for _, count in per_user))
            peak["user"] = max([peak["user"], *(count for _, count in per_user)])
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            submitted = list(pool.map(submit, orders))
        for name, _, job_id in submitted:
            assert wait_for(url, headers[name], job_id, timeout=300)["status"] == "finished"
    finally:
        done.set()
        sampler.join()
    assert 1 <= peak["all"] <= min(limits.max_running, limits.runner_threads)
    assert peak["user"] <= limits.max_running_per_user

    expected = {}
    for band in bands:
        for index in range(len(s2.dates)):
            values = s2.array(band, index).astype("float32")
            values[values == 0] = np.nan
            expected[band, index] = values
    for name, band, job_id in submitted:
        stac = requests.get(f"{url}/jobs/{job_id}/results", headers=headers[name], timeout=30).json()
        for index, asset_name in enumerate(sorted(stac["assets"])):
            content = requests.get(stac["assets"][asset_name]["href"], timeout=30).content
            with rasterio.MemoryFile(content) as memory, memory.open() as tif:
                assert tif.descriptions == (band,)
                np.testing.assert_array_equal(tif.read(1), expected[band, index])
