"""Collections from a static STAC Collection (or Catalog) on disk whose item assets are rasters.

Each item becomes one time step; each data asset one band (named after its single ``eo:bands`` entry or
its key; multi-band assets give one band per ``eo:bands`` entry). Asset hrefs may be local paths or http(s)
URLs (read through GDAL's network access). The grid of an asset is read from its header.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pystac

from openeo_gip.catalog.grid import common_grid
from openeo_gip.catalog.headers import read_headers
from openeo_gip.catalog.records import BandInfo, CollectionRecord, Item

log = logging.getLogger(__name__)

DATA_TYPES = ("image/tiff", "application/x-netcdf", "application/netcdf")
# Item properties that describe the item itself rather than something one would filter on.
_NOT_QUERYABLE = {"datetime", "start_datetime", "end_datetime", "created", "updated"}


def stac_record(record_id: str, path: Path) -> CollectionRecord:
    try:
        root = pystac.read_file(str(path))
    except (pystac.STACError, ValueError, OSError) as exc:
        raise ValueError(f"{path}: not a readable STAC document ({exc})") from exc
    if not isinstance(root, pystac.Catalog):
        raise ValueError(f"{path}: expected a STAC Collection or Catalog")
    problems: list[str] = []
    items: dict[str | None, Item] = {}
    bands: dict[str, BandInfo] = {}
    for stac_item in root.get_items(recursive=True):
        when = _item_time(stac_item)
        item = items.setdefault(when, Item(when))
        item.properties.update(_queryable(stac_item.properties))
        for key, stac_asset in stac_item.assets.items():
            if not _is_data(stac_asset):
                continue
            href = stac_asset.get_absolute_href() or stac_asset.href
            try:
                headers = read_headers(href if "://" in href else Path(href))
            except Exception as exc:  # a broken or unreachable asset: report it, keep the rest
                problems.append(f"{stac_item.id}/{key}: cannot be read ({exc})")
                log.warning("collection %s: skipping asset %s of %s: %s", record_id, key, stac_item.id, exc)
                continue
            described = stac_asset.extra_fields.get("eo:bands") or []
            for number, header in enumerate(headers):
                entry = described[number] if number < len(described) else {}
                name = entry.get("name") or (key if len(headers) == 1 else f"{key}_{number + 1}")
                item.assets.setdefault(name, []).append(header.asset)
                bands.setdefault(
                    name,
                    BandInfo(
                        name,
                        entry.get("common_name"),
                        entry.get("center_wavelength"),
                        entry.get("description"),
                    ),
                )
    items = {key: item for key, item in items.items() if item.assets}
    if not items:
        raise ValueError(
            f"{path}: no item with a readable raster asset" + (f" ({problems[0]})" if problems else "")
        )
    all_assets = [a for item in items.values() for assets in item.assets.values() for a in assets]
    stac_doc = root.to_dict(include_self_link=False, transform_hrefs=False)
    is_collection = isinstance(root, pystac.Collection)
    return CollectionRecord(
        id=record_id,
        kind="stac",
        source=str(path),
        grid=common_grid(all_assets),
        bands=list(bands.values()),
        items=sorted(items.values(), key=lambda item: item.datetime or ""),
        title=root.title,
        description=root.description or "",
        license=getattr(root, "license", None) or "proprietary",
        keywords=list(getattr(root, "keywords", None) or []),
        providers=[provider.to_dict() for provider in getattr(root, "providers", None) or []],
        stac=_served_fields(stac_doc) if is_collection else None,
        problems=problems,
    )


def _item_time(item: pystac.Item) -> str | None:
    when = item.datetime or item.common_metadata.start_datetime
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def _is_data(asset: pystac.Asset) -> bool:
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
