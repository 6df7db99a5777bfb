"""Batch jobs: stored in the database, queued, run by a pool of runners on the Dask cluster.

``store`` changes jobs and logs, ``queue`` claims queued jobs and recovers stopped ones, ``runner`` is the
pool of threads (in the server or in ``openeo-gip worker``) running each job through the results pipeline
(results/), ``progress`` and ``metering`` watch it on the cluster, ``stac`` and ``links`` describe the
results and sign their download links, ``finished_results`` hands them to the load processes.
"""

from __future__ import annotations

from pathlib import Path

from openeo_gip.config import Config
from openeo_gip.workspace import user_folder


def job_folder(config: Config, user_id: str, job_id: str) -> Path:
    """Where the results of a job are written: ``<user folder>/jobs/<job id>/``."""
    return user_folder(config, user_id) / "jobs" / job_id
