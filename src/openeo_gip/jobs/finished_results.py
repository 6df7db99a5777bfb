"""The results of this server's finished batch jobs as the load processes read them: by job id for
``load_result``, by results address for ``load_stac``, by signed download link for ``load_url``.

``FinishedResults`` implements what processes/load/job_results.py asks for; one is made with the services
(``Services.job_results``), so processes reach neither the job store nor the database.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from openeo_gip.config import Config
from openeo_gip.db import Database
from openeo_gip.db.models import Job
from openeo_gip.errors import ApiError
from openeo_gip.jobs.links import Grant, linked_file, linked_job, verify
from openeo_gip.jobs.result_record import result_record
from openeo_gip.jobs.store import find_job, owned_job
from openeo_gip.processes.load.job_results import UnusableResults
from openeo_gip.raster.records import CollectionRecord

_RESULTS_PATH = re.compile(r"/jobs/(?P<job>[^/]+)/results/?$")
_DOWNLOAD_PATH = re.compile(r"/download/(?P<token>[^/]+)(/[^/]+)?$")  # the file's name may follow


class FinishedResults:
    """``JobResults`` (processes/load/job_results.py) over the job store and the job folders."""

    def __init__(self, config: Config, db: Database) -> None:
        self.config = config
        self.db = db

    def record_of_job(self, job_id: str, user_id: str) -> CollectionRecord:
        return self._record(owned_job(self.db, job_id, user_id))

    def record_of_url(self, url: str, user_id: str | None) -> tuple[str, CollectionRecord] | None:
        job = self._job_of_url(url, user_id)
        return None if job is None else (job.id, self._record(job))

    def file_of_url(self, url: str) -> Path | None:
        grant = self._grant(url)
        if grant is None or grant.file == "":
            return None
        job = linked_job(self.db, grant)
        if job is None:
            raise UnusableResults("the batch job of this link has no results (any more)")
        linked = linked_file(self.config, job, grant)
        if linked is None:
            raise UnusableResults("the file of this link does not exist (any more)")
        return linked.path

    def _record(self, job: Job) -> CollectionRecord:
        if job.status != "finished":
            raise ApiError("JobNotFinished")
        return result_record(self.config, job)

    def _job_of_url(self, url: str, user_id: str | None) -> Job | None:
        owned = _RESULTS_PATH.search(urlparse(url).path)
        if owned is not None and user_id is not None:
            try:
                return owned_job(self.db, owned.group("job"), user_id)
            except ApiError:  # not a job of this user here: maybe another back-end's, fetched as usual
                return None
        grant = self._grant(url)
        if grant is None or grant.file != "":  # not a results document signed here
            return None
        job = find_job(self.db, grant.job_id)
        if job is None:
            raise ApiError("JobNotFound", identifier=grant.job_id)
        return job

    def _grant(self, url: str) -> Grant | None:
        signed = _DOWNLOAD_PATH.search(urlparse(url).path)
        if signed is None:
            return None
        try:
            return verify(self.config, signed.group("token"))
        except ApiError as error:
            if error.code == "ResultLinkExpired":
                raise
            return None  # not signed here
