"""The answer of ``GET /jobs/{id}/results``: a STAC Collection of the job's results, built with pystac.

The collection lists every result file as an asset (what the openEO clients download) and links one STAC
Item per result file (a GeoTIFF per date is an item per date), each with its date or dates, its footprint
in WGS 84, its grid (projection extension), its bands (raster and eo extensions, and STAC 1.1 ``bands``)
and a PNG thumbnail for rasters. Every link is signed (jobs/links.py), so items, files and the collection
itself (``canonical``) open without a login until they expire.

A file without a date (a cube reduced over time) still needs one in STAC: its item's ``datetime`` is the
moment the job finished, and it does not count towards the collection's temporal extent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import pystac
from pystac.extensions.eo import SCHEMA_URI as EO_SCHEMA
from pystac.extensions.file import SCHEMA_URI as FILE_SCHEMA
from pystac.extensions.projection import SCHEMA_URI as PROJECTION_SCHEMA
from pystac.extensions.raster import SCHEMA_URI as RASTER_SCHEMA

from openeo_gip.config import Config
from openeo_gip.db.models import Job
from openeo_gip.jobs.assets import THUMBNAIL_ROLE
from openeo_gip.jobs.links import ITEM, expiry, scoped, sign
from openeo_gip.jobs.previews import preview_links
from openeo_gip.model.dates import rfc3339

# The versions pystac writes: projection 2 (``proj:code``), raster 1.1, eo 1.1, file 2.1.
STAC_EXTENSIONS = [PROJECTION_SCHEMA, RASTER_SCHEMA, EO_SCHEMA, FILE_SCHEMA]
_WHOLE_EARTH = [-180.0, -90.0, 180.0, 90.0]
_JSON = "application/json"
_GEOJSON = "application/geo+json"
# What a stored entry (jobs/assets.py) says about its file that is not an asset field.
_NOT_ASSET_FIELDS = (
    "file",
    "type",
    "roles",
    "bbox",
    "thumbnail",
    "datetime",
    "start_datetime",
    "end_datetime",
)


class _Links:
    """Signed links of one job's results, all expiring at ``expires``."""

    def __init__(self, config: Config, base_url: str, job_id: str, expires: int) -> None:
        self.config, self.base_url, self.job_id, self.expires = config, base_url, job_id, expires

    def file(self, file: str) -> str:
        return download_url(self.config, self.base_url, self.job_id, file, self.expires)

    def item(self, file: str) -> str:
        token = sign(self.config, self.job_id, scoped(ITEM, file), self.expires)
        return f"{self.base_url}/download/{token}/{quote(PurePosixPath(file).stem)}.json"

    def collection(self) -> str:
        return self.file("")


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
    links = _Links(config, base_url, job.id, expires)
    files = _data_entries(job)
    boxes = [entry["bbox"] for entry in files if entry.get("bbox")]
    collection = pystac.Collection(
        id=job.id,
        title=job.title or f"Results of batch job {job.id}",
        description=job.description or "Results of an openEO batch job.",
        license="proprietary",
        extent=pystac.Extent(
            pystac.SpatialExtent([_union(boxes) if boxes else _WHOLE_EARTH]),
            pystac.TemporalExtent([_time_span(files)]),
        ),
        stac_extensions=list(STAC_EXTENSIONS),
        extra_fields={
            "openeo:status": _result_status(job.status),
            "expires": rfc3339(datetime.fromtimestamp(expires, UTC)),
        },
    )
    for entry in files:
        collection.add_asset(entry["file"], _asset(entry, links.file(entry["file"])))
    collection.add_link(pystac.Link("self", f"{base_url}/jobs/{job.id}/results", _JSON))
    collection.add_link(pystac.Link("canonical", links.collection(), _JSON))
    for entry in files:
        collection.add_link(pystac.Link("item", links.item(entry["file"]), _GEOJSON, title=entry["file"]))
    for preview in preview_links(config, base_url, job, expires):  # XYZ map tiles of each GeoTIFF
        collection.add_link(pystac.Link.from_dict(preview))
    document = collection.to_dict(include_self_link=False, transform_hrefs=False)
    document.setdefault("assets", {})  # pystac leaves out an empty one; clients look for it
    return document


def item_document(
    config: Config, base_url: str, job: Job, file: str, now: float | None = None
) -> dict[str, Any] | None:
    """The STAC Item of result ``file`` of ``job``, with signed links; ``None`` when no such file."""
    entries = {entry["file"]: entry for entry in job.results or []}
    entry = entries.get(file)
    if entry is None or THUMBNAIL_ROLE in entry.get("roles", []):
        return None
    links = _Links(config, base_url, job.id, expiry(config, now))
    bbox = entry.get("bbox")
    start, end = entry.get("start_datetime"), entry.get("end_datetime")
    when = entry.get("datetime") or (None if start and end else _finished(job))
    item = pystac.Item(
        id=file,
        geometry=_footprint(bbox) if bbox else None,
        bbox=bbox,
        datetime=_parsed(when),
        start_datetime=_parsed(start),
        end_datetime=_parsed(end),
        properties={"title": file},
        stac_extensions=list(STAC_EXTENSIONS),
        collection=job.id,
    )
    item.add_asset("data", _asset(entry, links.file(file)))
    thumbnail = entries.get(entry.get("thumbnail") or "")
    if thumbnail is not None:
        item.add_asset(THUMBNAIL_ROLE, _asset(thumbnail, links.file(thumbnail["file"])))
    item.add_link(pystac.Link("self", links.item(file), _GEOJSON))
    item.add_link(pystac.Link("collection", links.collection(), _JSON))
    item.add_link(pystac.Link("parent", links.collection(), _JSON))
    return item.to_dict(include_self_link=False, transform_hrefs=False)


def _data_entries(job: Job) -> list[dict[str, Any]]:
    """The job's result files, without the thumbnails (which belong to the items only)."""
    return [entry for entry in job.results or [] if THUMBNAIL_ROLE not in entry.get("roles", [])]


def _asset(entry: dict[str, Any], href: str) -> pystac.Asset:
    fields = {key: value for key, value in entry.items() if key not in _NOT_ASSET_FIELDS}
    if "proj:epsg" in fields:  # stored by an earlier version (projection extension 1)
        epsg = fields.pop("proj:epsg")
        fields["proj:code"] = f"EPSG:{epsg}" if epsg else None
    if "raster:bands" in fields:
        bands = fields["raster:bands"]
        fields["eo:bands"] = [{"name": band["name"]} for band in bands]
        fields["bands"] = bands  # STAC 1.1 core: name, data type and nodata of each band
    return pystac.Asset(
        href, title=entry["file"], media_type=entry["type"], roles=entry["roles"], extra_fields=fields
    )


def _footprint(bbox: list[float]) -> dict[str, Any]:
    west, south, east, north = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _time_span(entries: list[dict[str, Any]]) -> list[datetime | None]:
    """First and last date of the dated files; open at both ends when none has a date."""
    starts = [entry.get("datetime") or entry.get("start_datetime") for entry in entries]
    ends = [entry.get("datetime") or entry.get("end_datetime") for entry in entries]
    starts, ends = [s for s in starts if s], [e for e in ends if e]
    return [_parsed(min(starts)), _parsed(max(ends))] if starts and ends else [None, None]


def _finished(job: Job) -> str:
    return rfc3339(job.finished or job.updated or datetime.now(UTC))


def _parsed(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _result_status(status: str) -> str:
    # The results document knows running, canceled, finished and error; queued or created is "running".
    return status if status in ("running", "canceled", "finished", "error") else "running"


def _union(boxes: list[list[float]]) -> list[float]:
    return [
        min(edges[0] for edges in boxes),
        min(edges[1] for edges in boxes),
        max(edges[2] for edges in boxes),
        max(edges[3] for edges in boxes),
    ]
