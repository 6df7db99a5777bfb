"""Collections from a static STAC Collection (or Catalog) on disk whose item assets are rasters.

Each item becomes one time step; each data asset one band (named after its single ``eo:bands`` entry or
its key; multi-band assets give one band per ``eo:bands`` entry). ``entries_record`` does the same for
items found elsewhere (``load_stac``: a STAC API, a remote catalogue). Asset hrefs may be local paths or
http(s) URLs (read through GDAL's network access). The grid of an asset is read from its header.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pystac

from openeo_gip.model.dates import rfc3339
from openeo_gip.raster.grid import common_grid
from openeo_gip.raster.headers import read_headers
from openeo_gip.raster.records import BandInfo, CollectionRecord, Item

log = logging.getLogger(__name__)

DATA_TYPES = ("image/tiff", "application/x-netcdf", "application/netcdf")
# Item properties that describe the item itself rather than something one would filter on.
_NOT_QUERYABLE = {"datetime", "start_datetime", "end_datetime", "created", "updated"}
# Headers read at once: remote assets are latency-bound, a few parallel reads hide most of it.
_PARALLEL_READS = 8


def stac_record(record_id: str, path: Path) -> CollectionRecord:
    try:
        root = pystac.read_file(str(path))
    except (pystac.STACError, ValueError, OSError) as exc:
        raise ValueError(f"{path}: not a readable STAC document ({exc})") from exc
    if not isinstance(root, pystac.Catalog):
        raise ValueError(f"{path}: expected a STAC Collection or Catalog")
    entries = [entry_of_item(item) for item in root.get_items(recursive=True)]
    return entries_record(record_id, entries, source=str(path), root=root)


@dataclass
class Entry:
    """One STAC item as the reader needs it: its time, its queryable properties, its assets."""

    id: str
    datetime: str | None
    properties: dict[str, Any] = field(default_factory=dict)
    assets: dict[str, pystac.Asset] = field(default_factory=dict)
    bbox: list[float] | None = None  # WGS84, as STAC gives it


def entry_of_item(item: pystac.Item) -> Entry:
    return Entry(item.id, _item_time(item), _queryable(item.properties), dict(item.assets), item.bbox)


def entries_record(
    record_id: str,
    entries: list[Entry],
    *,
    source: str,
    root: pystac.Catalog | None = None,
    bands: list[str] | None = None,
    gdal_path: Callable[[str], str | Path] | None = None,
) -> CollectionRecord:
    """A collection record of the data assets of ``entries`` (their headers are read, several at once).

    ``bands``: only assets that may hold one of these band names (or common names) are read.
    ``gdal_path``: turns an asset's absolute href into what GDAL opens, raising for forbidden ones.
    """
    problems: list[str] = []
    items: dict[str | None, Item] = {}
    bands_found: dict[str, BandInfo] = {}
    wanted = [
        (entry, key, asset)
        for entry in entries
        for key, asset in entry.assets.items()
        if is_data_asset(asset) and (bands is None or may_hold(key, asset, bands))
    ]
    hrefs = [(gdal_path or _default_path)(asset.get_absolute_href() or asset.href) for _, _, asset in wanted]
    with ThreadPoolExecutor(max_workers=_PARALLEL_READS) as pool:
        results = list(pool.map(_headers_or_error, hrefs))
    for (entry, key, asset), found in zip(wanted, results, strict=True):
        if isinstance(found, Exception):  # a broken or unreachable asset: report it, keep the rest
            problems.append(f"{entry.id}/{key}: cannot be read ({found})")
            log.warning("collection %s: skipping asset %s of %s: %s", record_id, key, entry.id, found)
            continue
        item = items.setdefault(entry.datetime, Item(entry.datetime))
        item.properties.update(entry.properties)
        described = band_entries(asset)
        for number, header in enumerate(found):
            info = described[number] if number < len(described) else {}
            name = info.get("name") or (key if len(found) == 1 else f"{key}_{number + 1}")
            item.assets.setdefault(name, []).append(header.asset)
            bands_found.setdefault(
                name,
                BandInfo(
                    name,
                    info.get("common_name") or info.get("eo:common_name"),
                    info.get("center_wavelength") or info.get("eo:center_wavelength"),
                    info.get("description"),
                ),
            )
    items = {key: item for key, item in items.items() if item.assets}
    if not items:
        raise ValueError(
            f"{source}: no item with a readable raster asset" + (f" ({problems[0]})" if problems else "")
        )
    all_assets = [a for item in items.values() for assets in item.assets.values() for a in assets]
    is_collection = isinstance(root, pystac.Collection)
    stac_doc = root.to_dict(include_self_link=False, transform_hrefs=False) if is_collection else {}
    return CollectionRecord(
        id=record_id,
        kind="stac",
        source=source,
        grid=common_grid(all_assets),
        bands=list(bands_found.values()),
        items=sorted(items.values(), key=lambda item: item.datetime or ""),
        title=getattr(root, "title", None),
        description=getattr(root, "description", None) or "",
        license=getattr(root, "license", None) or "proprietary",
        keywords=list(getattr(root, "keywords", None) or []),
        providers=[provider.to_dict() for provider in getattr(root, "providers", None) or []],
        stac=_served_fields(stac_doc) if is_collection else None,
        problems=problems,
    )


def band_entries(asset: pystac.Asset) -> list[dict[str, Any]]:
    """The band descriptions of an asset: ``eo:bands`` (STAC 1.0), ``bands`` (STAC 1.1), or named
    ``raster:bands`` (as openEO job results have them)."""
    fields = asset.extra_fields
    described = fields.get("eo:bands") or fields.get("bands") or []
    if not described and any(isinstance(b, dict) and b.get("name") for b in fields.get("raster:bands") or []):
        described = fields["raster:bands"]
    return [entry if isinstance(entry, dict) else {} for entry in described]


def band_names_of(key: str, asset: pystac.Asset) -> set[str]:
    """Every name (and common name) a band of this asset may be asked for by."""
    names = {key}
    for entry in band_entries(asset):
        names |= {
            entry[field_name]
            for field_name in ("name", "common_name", "eo:common_name")
            if isinstance(entry.get(field_name), str)
        }
    return names


def may_hold(key: str, asset: pystac.Asset, bands: list[str]) -> bool:
    """Whether the asset can hold one of ``bands``; an undescribed multi-band asset names its bands
    ``<key>_1``, ``<key>_2``..."""
    names = band_names_of(key, asset)
    return any(band in names or band.startswith(f"{key}_") for band in bands)


def _default_path(href: str) -> str | Path:
    return href if "://" in href else Path(href)


def _headers_or_error(path: str | Path):
    try:
        return read_headers(path)
    except Exception as exc:  # reported per asset by the caller
        return exc


def _item_time(item: pystac.Item) -> str | None:
    when = item.datetime or item.common_metadata.start_datetime
    return rfc3339(when) if when else None


def is_data_asset(asset: pystac.Asset) -> bool:
    roles = asset.roles or []
    if roles and "data" not in roles:
        return False
    media = (asset.media_type or "").lower()
    if media:
        return media.startswith(DATA_TYPES)
    return asset.href.lower().endswith((".tif", ".tiff", ".nc"))


def _queryable(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value
        for name, value in properties.items()
        if name not in _NOT_QUERYABLE
        and not name.startswith("proj:")
        and isinstance(value, (int, float, str, list))
        and not (isinstance(value, list) and not all(isinstance(v, str) for v in value))
    }


def _served_fields(document: dict[str, Any]) -> dict[str, Any]:
    """The original Collection minus what only makes sense in the static catalogue (links, assets' hrefs)."""
    kept = {key: value for key, value in document.items() if key not in ("links", "assets")}
    return kept
