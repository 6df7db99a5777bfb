"""The answer of ``GET /jobs/{id}/results``: a STAC 1.0 Collection whose assets are signed links."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from openeo_gip.config import Config
from openeo_gip.db.models import Job
from openeo_gip.jobs.links import expiry, sign
from openeo_gip.model.dates import rfc3339

STAC_EXTENSIONS = [
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
]
_WHOLE_EARTH = [-180.0, -90.0, 180.0, 90.0]


def download_url(config: Config, base_url: str, job_id: str, file: str, expires: int) -> str:
    """The signed link of ``file``; it ends with the file's name, as clients that name a download after
    its link (the JavaScript client) need. The canonical link (``file`` empty) ends with the token."""
    token = sign(config, job_id, file, expires)
    name = PurePosixPath(file).name
    return f"{base_url}/download/{token}/{quote(name)}" if name else f"{base_url}/download/{token}"


def results_document(config: Config, base_url: str, job: Job, now: float | None = None) -> dict[str, Any]:
    """STAC Collection of the job's results with links valid for ``jobs.link_expiry_hours`` from now.

    The ``canonical`` link is itself signed: it serves this document without a login until it expires.
    """
    expires = expiry(config, now)
    assets = {}
    boxes = []
    for entry in job.results or []:
        asset = {key: value for key, value in entry.items() if key not in ("file", "bbox")}
        asset["href"] = download_url(config, base_url, job.id, entry["file"], expires)
        asset["title"] = entry["file"]
        assets[entry["file"]] = asset
        if entry.get("bbox"):
            boxes.append(entry["bbox"])
    bbox = _union(boxes) if boxes else _WHOLE_EARTH
    expires_at = rfc3339(datetime.fromtimestamp(expires, UTC))
    return {
        "stac_version": "1.0.0",
        "stac_extensions": STAC_EXTENSIONS,
        "type": "Collection",
        "id": job.id,
        "title": job.title or f"Results of batch job {job.id}",
        "description": job.description or "Results of an openEO batch job.",
        "license": "proprietary",
        "extent": {"spatial": {"bbox": [bbox]}, "temporal": {"interval": [[None, None]]}},
        "openeo:status": _result_status(job.status),
        "expires": expires_at,
        "assets": assets,
        "links": [
            {
                "href": f"{base_url}/jobs/{job.id}/results",
                "rel": "self",
                "type": "application/json",
            },
            {
                "href": download_url(config, base_url, job.id, "", expires),
                "rel": "canonical",
                "type": "application/json",
            },
        ],
    }


def _result_status(status: str) -> str:
    # The results document knows running, canceled, finished and error; queued or created is "running".
    return status if status in ("running", "canceled", "finished", "error") else "running"


def _union(boxes: list[list[float]]) -> list[float]:
    return [
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    ]
