"""load_stac: a data cube from a STAC resource, read lazily like a collection of the catalogue.

The items are found (``remote.stac_items``), narrowed by their own metadata first (bounding box, time,
property callbacks), so only the assets of the remaining items and the requested bands have their headers
read; the cube is then made by the catalogue's reader as for ``load_collection``. Besides http(s)
addresses, this back-end reads STAC documents stored in its data folder or in the user's workspace, and
recognises the results of its own batch jobs. A relative path names a file the user uploaded (``/files``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyproj
import xarray as xr

from openeo_gip.catalog.stac_source import Entry, band_names_of, entries_record, is_data_asset, may_hold
from openeo_gip.errors import ApiError
from openeo_gip.model.values import Callback, ProcessContext
from openeo_gip.processes.cube.filter import parse_interval
from openeo_gip.processes.cube.geometry import bbox_in_crs
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.load.collection import _spatial_filter, cube_from_record
from openeo_gip.processes.load.job_results import JobResults, UnusableResults
from openeo_gip.processes.registry import process
from openeo_gip.raster.records import CollectionRecord
from openeo_gip.remote.fetch import is_http, local_path, well_formed
from openeo_gip.remote.stac_items import Reader, Search, find_items
from openeo_gip.workspace import files_folder, user_folder
from openeo_gip.workspace.paths import resolve_in

WGS84 = pyproj.CRS.from_epsg(4326)


# Besides the official http(s) address, ``url`` may be the path of a STAC document on this server.
@process(wider_schemas={"url": {"title": "URL or path on this server", "type": "string", "minLength": 1}})
def load_stac(
    url: str,
    spatial_extent: Any = None,
    temporal_extent: list | None = None,
    bands: list | None = None,
    properties: dict | None = None,
    *,
    ctx: ProcessContext,
) -> xr.DataArray:
    if not isinstance(url, str) or not url.strip():
        raise invalid("load_stac", "url", "an http(s) address or a path on this server is expected")
    if not well_formed(url):
        raise _failure(f"{url} is not a valid address")
    own = _own_results(url, ctx) if is_http(url) else None
    if own is not None:
        job_id, record = own
        return cube_from_record(
            record,
            spatial_extent,
            temporal_extent,
            bands,
            properties,
            process_id="load_stac",
            what=f"The results of batch job '{job_id}'",
            ctx=ctx,
        )
    bbox, _ = _spatial_filter(spatial_extent, "load_stac")
    wgs84_box = bbox_in_crs(bbox, WGS84, "load_stac", "spatial_extent") if bbox else None
    start, end = (
        parse_interval(temporal_extent, "load_stac", "temporal_extent") if temporal_extent else (None, None)
    )
    if bands is not None and not bands:
        raise invalid("load_stac", "bands", "give at least one band, or null for all")
    reader = Reader(allowed_folders(ctx), _failure, ctx.services.config.remote.allow_private_addresses)
    search = Search(wgs84_box, _naive(start), _naive(end))
    found = find_items(_uploaded_file(url, ctx), search, reader)
    entries = [
        entry
        for entry in found.entries
        if _in_box(entry, wgs84_box)
        and _in_interval(entry, start, end)
        and _has_properties(entry, properties)
    ]
    if not entries:
        raise process_error("NoDataAvailable", f"No STAC item of {url} matches the extents and filters.")
    if bands is not None:
        _check_bands(entries, bands, url)
    try:
        record = entries_record(
            "load_stac", entries, source=url, root=found.root, bands=bands, gdal_path=_gdal_path(reader)
        )
    except ValueError as exc:
        raise invalid("load_stac", "url", str(exc)) from None
    for problem in record.problems:  # left out, the rest is read: the user should know (job log)
        ctx.log.warning("load_stac: asset %s", problem)
    return cube_from_record(
        record,
        spatial_extent,
        temporal_extent,
        bands,
        None,  # already applied to the items themselves
        process_id="load_stac",
        what=f"The STAC resource {url}",
        ctx=ctx,
    )


def _own_results(url: str, ctx: ProcessContext) -> tuple[str, CollectionRecord] | None:
    """The job id and rasters when ``url`` names the results of a batch job of this server."""
    results: JobResults = ctx.services.job_results
    try:
        return results.record_of_url(url, ctx.user.id if ctx.user is not None else None)
    except UnusableResults as exc:
        raise invalid("load_stac", "url", str(exc)) from None


def allowed_folders(ctx: ProcessContext) -> list[Path]:
    """Local folders a user's graph may read: the data root and the user's own workspace."""
    config = ctx.services.config
    folders = [Path(config.paths.data_root)]
    if ctx.user is not None:
        folders.append(user_folder(config, ctx.user.id))
    return folders


def _uploaded_file(url: str, ctx: ProcessContext) -> str:
    """A relative path names one of the user's uploaded files (as in ``/files``); the rest is unchanged."""
    if "://" in url or url.startswith("/") or ctx.user is None:
        return url
    return str(resolve_in(files_folder(ctx.services.config, ctx.user.id), url))


def _failure(reason: str) -> ApiError:
    return invalid("load_stac", "url", reason)


def _gdal_path(reader: Reader):
    """Asset hrefs are new addresses: each host is checked once here, when the cube is built, so the
    reads of its chunks later (GDAL, in the dask workers) need no check of their own."""

    def path(href: str) -> str | Path:
        if is_http(href):
            reader.check(href)
            return href
        return local_path(href, reader.allowed, reader.fail)

    return path


def _naive(stamp) -> Any:
    return stamp.to_pydatetime() if stamp is not None else None


def _in_box(entry: Entry, box: tuple | None) -> bool:
    if box is None or not entry.bbox or len(entry.bbox) < 4:
        return True
    west, south, east, north = (entry.bbox[0], entry.bbox[1], *entry.bbox[-2:])
    return west <= box[2] and east >= box[0] and south <= box[3] and north >= box[1]


def _in_interval(entry: Entry, start, end) -> bool:
    """Left-closed, as the reader does for collections; items without a time are always kept."""
    if entry.datetime is None or (start is None and end is None):
        return True
    when = pd.Timestamp(entry.datetime.rstrip("Z"))
    return (start is None or when >= start) and (end is None or when < end)


def _has_properties(entry: Entry, properties: dict | None) -> bool:
    for name, condition in (properties or {}).items():
        if name not in entry.properties:
            return False
        value = entry.properties[name]
        keep = condition(value=value) is True if isinstance(condition, Callback) else value == condition
        if not keep:
            return False
    return True


def _check_bands(entries: list[Entry], bands: list, url: str) -> None:
    """Unknown band names are an error before any asset is opened."""
    data = [(key, asset) for entry in entries for key, asset in entry.assets.items() if is_data_asset(asset)]
    offered = set().union(*(band_names_of(key, asset) for key, asset in data))
    unknown = [band for band in bands if not any(may_hold(key, asset, [band]) for key, asset in data)]
    if unknown:
        raise invalid(
            "load_stac",
            "bands",
            f"no band {', '.join(map(str, unknown))} in {url}; it offers {', '.join(sorted(offered))}",
        )
