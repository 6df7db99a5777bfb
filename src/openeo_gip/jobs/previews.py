"""Map tiles of finished raster results: a signed XYZ address per GeoTIFF, for the results document.

The token is a download grant (jobs/links.py) of ``tiles:<file>``: it opens that file's tiles only, never
the file itself (no writer makes a file name with a colon), and expires with the other links.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openeo_gip.config import Config
from openeo_gip.db import Database
from openeo_gip.db.models import Job
from openeo_gip.jobs import job_folder
from openeo_gip.jobs.links import TILES, in_scope, linked_job, resolve_file, scoped, sign, verify

# Below the server's base URL; {token} is filled in, {z}/{x}/{y} stay for the map client.
PREVIEW_PATH = "/previews/{token}/{{z}}/{{x}}/{{y}}.png"


def preview_links(config: Config, base_url: str, job: Job, expires: int) -> list[dict]:
    """One ``xyz`` link (an XYZ tile address template) per GeoTIFF result of ``job``."""
    links = []
    for entry in job.results or []:
        if not str(entry.get("type", "")).startswith("image/tiff"):
            continue
        token = sign(config, job.id, scoped(TILES, entry["file"]), expires)
        links.append(
            {
                "href": base_url + PREVIEW_PATH.format(token=token),
                "rel": "xyz",
                "type": "image/png",
                "title": f"Map tiles of {entry['file']}",
            }
        )
    return links


@dataclass(frozen=True)
class PreviewedFile:
    path: Path
    job_id: str


def previewed_file(config: Config, db: Database, token: str) -> PreviewedFile | None:
    """The result file ``token`` opens the tiles of; ``None`` when it is gone or the token opens no tiles
    (403 or 410 for a token that is not valid or has expired)."""
    grant = verify(config, token)
    file = in_scope(grant, TILES)
    if file is None:
        return None
    job = linked_job(db, grant)
    if job is None:
        return None
    path = resolve_file(job_folder(config, job.user_id, job.id), file)
    return PreviewedFile(path, job.id) if path is not None else None
