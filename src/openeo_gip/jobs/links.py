"""Signed, expiring download links of job results: ``/download/<token>`` needs no login.

A token names one job, one file of it and an expiry time, signed with HMAC-SHA256 (itsdangerous) under
``jobs.signing_secret`` or a random key kept in ``paths.system_files`` (shared by every process using it).
``linked_job`` and ``linked_file`` follow a valid token, for ``/download`` and for ``load_url`` alike.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from openeo_gip.config import Config
from openeo_gip.db import Database
from openeo_gip.db.models import Job
from openeo_gip.errors import ApiError
from openeo_gip.jobs import job_folder
from openeo_gip.jobs.store import find_job

_SALT = "openeo-gip job result"
_KEY_FILE = "download-signing.key"


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: reading ``file`` (relative to the job folder) of ``job_id``."""

    job_id: str
    file: str
    expires: int


def signing_secret(config: Config) -> str:
    if config.jobs.signing_secret:
        return config.jobs.signing_secret
    path = config.paths.system_files / _KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: when two processes start together, one key wins and both read it
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48))
    for _ in range(50):  # the winner may still be writing
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"the signing key {path} is empty")


def _serializer(config: Config) -> URLSafeSerializer:
    return URLSafeSerializer(signing_secret(config), salt=_SALT)


# Grants for something else than a result file itself, named ``<scope>:<file>``: the STAC item of a result
# file (ITEM) or its map tiles (TILES, jobs/previews.py). No writer makes a file name with a colon, so no
# kind of grant can open another.
ITEM = "item"
TILES = "tiles"


def scoped(scope: str, file: str) -> str:
    """What a token names to open ``scope`` of result ``file`` (``in_scope`` reads it back)."""
    return f"{scope}:{file}"


def in_scope(grant: Grant, scope: str) -> str | None:
    """The result file whose ``scope`` ``grant`` opens, or ``None`` when it opens something else."""
    prefix = f"{scope}:"
    return grant.file.removeprefix(prefix) if grant.file.startswith(prefix) else None


def sign(config: Config, job_id: str, file: str, expires: int) -> str:
    """A token for ``file`` of ``job_id`` valid until the Unix time ``expires``."""
    return _serializer(config).dumps([job_id, file, expires])


def expiry(config: Config, now: float | None = None) -> int:
    """Unix time at which links made now expire."""
    return int((now or time.time()) + config.jobs.link_expiry_hours * 3600)


def verify(config: Config, token: str, now: float | None = None) -> Grant:
    """The grant of ``token``; 403 when it was not made here or was changed, 410 when it expired."""
    try:
        job_id, file, expires = _serializer(config).loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise ApiError("LinkInvalid", "This download link is not valid.", status=403) from exc
    if not isinstance(expires, int) or expires < (now or time.time()):
        raise ApiError("ResultLinkExpired")
    return Grant(job_id=str(job_id), file=str(file), expires=expires)


def resolve_file(folder: Path, file: str) -> Path | None:
    """``file`` inside ``folder`` if it is a regular file there (never outside it)."""
    target = (folder / file).resolve()
    if not target.is_relative_to(folder.resolve()) or not target.is_file():
        return None
    return target


@dataclass(frozen=True)
class LinkedFile:
    """A result file a link opens: where it is on disk, and its media type."""

    path: Path
    media_type: str


def linked_job(db: Database, grant: Grant) -> Job | None:
    """The job of ``grant`` if it is finished: a link opens nothing of a job deleted or running again."""
    job = find_job(db, grant.job_id)
    return job if job is not None and job.status == "finished" else None


def linked_file(config: Config, job: Job, grant: Grant) -> LinkedFile | None:
    """The file of ``grant`` if the results of ``job`` (``linked_job``) list it and it is still on disk."""
    entry = next((item for item in job.results or [] if item["file"] == grant.file), None)
    path = resolve_file(job_folder(config, job.user_id, job.id), grant.file)
    if entry is None or path is None:
        return None
    return LinkedFile(path, entry["type"])
