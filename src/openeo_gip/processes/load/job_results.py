"""What the load processes need of this server's own batch job results.

``load_result`` names a job, ``load_stac`` may name its results address and ``load_url`` one of its signed
download links. The jobs and their files are the job store's business, above the processes: the app hands
an implementation of ``JobResults`` in on its services (``ctx.services.job_results``, made by
jobs/finished_results.py), so processes reach neither the job store nor the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from openeo_gip.raster.records import CollectionRecord


class UnusableResults(Exception):
    """Results of this server that cannot be loaded (no raster among them, a linked file gone); the
    message says why, for a ``ProcessParameterInvalid``."""


class JobResults(Protocol):
    """The finished batch jobs of this server, as the load processes read them."""

    def record_of_job(self, job_id: str, user_id: str) -> CollectionRecord:
        """The rasters of the finished job ``job_id`` of ``user_id``; ``JobNotFound`` when it is not one of
        theirs, ``JobNotFinished``, ``UnusableResults``."""
        ...

    def record_of_url(self, url: str, user_id: str | None) -> tuple[str, CollectionRecord] | None:
        """The id and rasters of the job whose results ``url`` names, if it is one of this server's:
        ``.../jobs/{id}/results`` of a job of ``user_id``, or a signed results link made here (which anyone
        holding it may use); ``None`` for any other address. Errors as ``record_of_job``, and
        ``ResultLinkExpired``."""
        ...

    def file_of_url(self, url: str) -> Path | None:
        """The file a signed download link made here points to (read from disk: a server fetching from
        itself over HTTP could wait for itself), or ``None`` for any other address;
        ``ResultLinkExpired``, ``UnusableResults`` when the job or the file is gone."""
        ...
