"""STAC 1.0 Collection documents (with the datacube extension) and queryables, built from records."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from openeo_gip.raster.grid import wgs84_bbox
from openeo_gip.raster.records import CollectionRecord

STAC_VERSION = "1.0.0"
EXTENSIONS = {
    "cube": "https://stac-extensions.github.io/datacube/v2.2.0/schema.json",
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "proj": "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
}
RASTER_EXTENSION = "https://stac-extensions.github.io/raster/v1.1.0/schema.json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

# Sentinel-2 MSI bands: common name and centre wavelength in micrometres (public facts).
_SENTINEL2 = {
    "B01": ("coastal", 0.443),
    "B02": ("blue", 0.49),
    "B03": ("green", 0.56),
    "B04": ("red", 0.665),
    "B05": ("rededge", 0.705),
    "B06": ("rededge", 0.74),
    "B07": ("rededge", 0.783),
    "B08": ("nir", 0.842),
    "B8A": ("nir08", 0.865),
    "B09": ("nir09", 0.945),
    "B10": ("cirrus", 1.375),
    "B11": ("swir16", 1.61),
    "B12": ("swir22", 2.19),
}
_SENTINEL2_ID = re.compile(r"sentinel[-_ ]?2|(^|[^a-z0-9])s2", re.IGNORECASE)


def known_band(collection_id: str, band: str) -> dict[str, Any]:
    """Common name and wavelength of well-known sensors' bands, judged from the collection id."""
    if _SENTINEL2_ID.search(collection_id):
        return sentinel2_band(band)
    return {}


def sentinel2_band(band: str) -> dict[str, Any]:
    """Common name and centre wavelength of a Sentinel-2 MSI band (``B04``), empty for other names."""
    if band.upper() not in _SENTINEL2:
        return {}
    common_name, wavelength = _SENTINEL2[band.upper()]
    return {"common_name": common_name, "center_wavelength": wavelength}


def collection_document(record: CollectionRecord, base_url: str, *, full: bool = True) -> dict[str, Any]:
    """The STAC Collection served for ``record``; ``full=False`` leaves out the large parts (for lists)."""
    own = _own_document(record, base_url, full)
    if record.stac is None:
        return own
    merged = {key: value for key, value in record.stac.items() if full or key not in _LARGE}
    for key, value in own.items():
        if key not in merged or key == "links":
            merged[key] = value
        elif key == "stac_extensions":
            merged[key] = sorted(set(merged[key]) | set(value))
        elif key == "summaries" and isinstance(merged[key], dict):
            merged[key] = {**value, **merged[key]}
    merged["id"] = record.id
    merged["links"] = own["links"] + [
        link for link in record.stac.get("links", []) if link.get("rel") not in _OWN_RELS
    ]
    return merged


_LARGE = {"cube:dimensions", "summaries", "item_assets"}
_OWN_RELS = {"self", "root", "parent", "items", "item", "child", QUERYABLES_REL}


def _own_document(record: CollectionRecord, base_url: str, full: bool) -> dict[str, Any]:
    times = sorted(item.datetime for item in record.items if item.datetime)
    doc: dict[str, Any] = {
        "stac_version": STAC_VERSION,
        "stac_extensions": sorted(EXTENSIONS.values()),
        "type": "Collection",
        "id": record.id,
        "title": record.title or record.id,
        "description": record.description or record.id,
        "license": record.license,
        "keywords": record.keywords,
        "providers": record.providers,
        "extent": {
            "spatial": {"bbox": [wgs84_bbox(record.grid)]},
            "temporal": {"interval": [[times[0], times[-1]] if times else [None, None]]},
        },
        "links": _links(record, base_url),
    }
    if record.owner is not None:  # from the user's own workspace (catalog/private.py)
        doc["openeo-gip:private"] = True
    if full:
        doc["cube:dimensions"] = cube_dimensions(record, times)
        doc["summaries"] = _summaries(record)
        if "raster:bands" in doc["summaries"]:
            doc["stac_extensions"] = sorted([*doc["stac_extensions"], RASTER_EXTENSION])
    return doc


def _links(record: CollectionRecord, base_url: str) -> list[dict[str, Any]]:
    own = f"{base_url}/collections/{record.id}"
    links = [
        {"rel": "self", "href": own, "type": "application/json"},
        {"rel": "root", "href": f"{base_url}/", "type": "application/json"},
        {"rel": "parent", "href": f"{base_url}/collections", "type": "application/json"},
        {"rel": QUERYABLES_REL, "href": f"{own}/queryables", "type": "application/schema+json"},
    ]
    return links + list(record.links)


def cube_dimensions(record: CollectionRecord, times: list[str] | None = None) -> dict[str, Any]:
    grid = record.grid
    west, south, east, north = grid.bounds
    xres, yres = grid.resolution
    reference = _reference_system(grid.crs)
    dims: dict[str, Any] = {
        "x": {
            "type": "spatial",
            "axis": "x",
            "extent": [west, east],
            "step": xres,
            "reference_system": reference,
        },
        "y": {
            "type": "spatial",
            "axis": "y",
            "extent": [south, north],
            "step": yres,
            "reference_system": reference,
        },
    }
    times = sorted(item.datetime for item in record.items if item.datetime) if times is None else times
    if times:
        dims["t"] = {"type": "temporal", "extent": [times[0], times[-1]], "step": temporal_step(times)}
        if len(times) <= 1000:
            dims["t"]["values"] = times
    dims["bands"] = {"type": "bands", "values": record.band_names}
    return dims


def _reference_system(crs: str) -> int | str:
    return int(crs.split(":")[1]) if crs.startswith("EPSG:") else crs


def temporal_step(times: list[str]) -> str | None:
    """An ISO 8601 duration when the times are evenly spaced, else None (irregular or a single time)."""
    if len(times) < 2:
        return None
    stamps = [dt.datetime.fromisoformat(time.rstrip("Z")) for time in times]
    gaps = {later - earlier for earlier, later in zip(stamps, stamps[1:], strict=False)}
    if len(gaps) != 1:
        return None
    seconds = int(gaps.pop().total_seconds())
    if seconds % 86400 == 0:
        return f"P{seconds // 86400}D"
    return f"PT{seconds}S"


def _summaries(record: CollectionRecord) -> dict[str, Any]:
    eo_bands = []
    for band in record.bands:
        entry: dict[str, Any] = {"name": band.name}
        if band.common_name:
            entry["common_name"] = band.common_name
        if band.center_wavelength:
            entry["center_wavelength"] = band.center_wavelength
        if band.description:
            entry["description"] = band.description
        eo_bands.append(entry)
    summaries: dict[str, Any] = {"eo:bands": eo_bands}
    if any(band.resolution for band in record.bands):  # bands of several resolutions (products)
        summaries["raster:bands"] = [
            {"name": band.name, "spatial_resolution": band.resolution}
            if band.resolution
            else {"name": band.name}
            for band in record.bands
        ]
    if record.grid.crs.startswith("EPSG:"):
        summaries["proj:epsg"] = [int(record.grid.crs.split(":")[1])]
        summaries["proj:code"] = [record.grid.crs]
    # Numeric ranges are left to the queryables: the API document's summary schema accepts a
    # {minimum, maximum} object under two of its oneOf branches at once, so no range validates.
    for name, schema in _observed_schemas(record).items():
        if "enum" in schema:
            summaries[name] = schema["enum"]
    return summaries


def queryable_properties(record: CollectionRecord) -> dict[str, dict[str, Any]]:
    """JSON Schemas of the item properties one can filter on (cloud cover with its full 0-100 range)."""
    schemas = _observed_schemas(record)
    if "eo:cloud_cover" in schemas and schemas["eo:cloud_cover"]["type"] == "number":
        schemas["eo:cloud_cover"].update(title="Cloud Cover", minimum=0, maximum=100)
    return schemas


def _observed_schemas(record: CollectionRecord) -> dict[str, dict[str, Any]]:
    """Schemas of the item properties found: numbers with their observed range, strings with their values."""
    values: dict[str, list[Any]] = {}
    for item in record.items:
        for name, value in item.properties.items():
            values.setdefault(name, []).append(value)
    schemas: dict[str, dict[str, Any]] = {}
    for name, seen in sorted(values.items()):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seen):
            schemas[name] = {"type": "number", "minimum": min(seen), "maximum": max(seen)}
        elif all(isinstance(v, str) for v in seen):
            schemas[name] = {"type": "string", "enum": sorted(set(seen))}
        elif all(isinstance(v, list) for v in seen):
            schemas[name] = {"type": "array", "items": {"type": "string"}}
    return schemas


def queryables_document(record: CollectionRecord, base_url: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": f"{base_url}/collections/{record.id}/queryables",
        "type": "object",
        "title": record.title or record.id,
        "properties": queryable_properties(record),
        "additionalProperties": False,
    }
