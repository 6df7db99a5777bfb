"""Finding collections under the data root and describing them from file headers.

Sources, one collection each: a folder of rasters (recursively), a single raster file at the top level, a
folder holding a static STAC ``collection.json``, or a folder of satellite products (``products.py``). A
file that cannot be read is reported in the record's ``problems`` (and the log) and left out; the rest of
its collection still works.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from openeo_gip.catalog.metadata import known_band
from openeo_gip.catalog.naming import NameParts, NamePattern
from openeo_gip.catalog.products import product_folders, products_record
from openeo_gip.catalog.sidecar import Sidecar, is_stac_document, load_sidecar, sidecar_paths
from openeo_gip.raster.grid import common_grid
from openeo_gip.raster.headers import MULTIDIM_SUFFIXES, BandHeader, is_raster, read_headers
from openeo_gip.raster.records import Asset, BandInfo, CollectionRecord, Item

log = logging.getLogger(__name__)

STAC_FILES = ("collection.json", "catalog.json")


class ScanError(Exception):
    """A source that gives no collection at all (no readable raster, bad sidecar, ...)."""


@dataclass
class Source:
    id: str
    kind: str  # "folder", "file", "stac" or "products"
    path: Path


def collection_id(name: str) -> str:
    return re.sub(r"[^\w\-.~]", "_", name)


def find_sources(data_root: Path, products: bool = True) -> list[Source]:
    """The candidate collections directly under ``data_root`` (sorted by name); folders of satellite
    products (or a product folder itself) only with ``products``."""
    if not data_root.is_dir():
        return []
    sources = []
    for child in sorted(data_root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir() and child.suffix.lower() != ".zarr":
            stac = next((child / name for name in STAC_FILES if is_stac_document(child / name)), None)
            if stac is not None:
                sources.append(Source(collection_id(child.name), "stac", stac))
            elif products and product_folders(child):
                sources.append(Source(collection_id(child.name), "products", child))
            elif any(is_raster(path) for path in _files(child)):
                sources.append(Source(collection_id(child.name), "folder", child))
        elif is_raster(child):
            sources.append(Source(collection_id(child.stem), "file", child))
    return sources


def _files(folder: Path) -> list[Path]:
    """Raster files (and Zarr stores) under ``folder``, sorted; hidden entries skipped."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in list(dirs):
            if name.lower().endswith(".zarr"):
                found.append(Path(root) / name)
                dirs.remove(name)
        found.extend(Path(root) / name for name in files if not name.startswith("."))
    return sorted(found)


def signature(source: Source) -> str:
    """A digest of the names, sizes and modification times of every file the source consists of."""
    if source.kind == "file":
        paths = [source.path, *(path for path in sidecar_paths(source.path) if path.exists())]
        if source.path.is_dir():  # a Zarr store
            paths += [path for path in _files(source.path) if path.is_file()]
        base = source.path.parent
    else:
        base = source.path if source.kind in ("folder", "products") else source.path.parent
        paths = [path for path in _all_files(base)]
    digest = hashlib.sha1()
    for path in sorted(paths):
        stat = path.stat()
        digest.update(f"{path.relative_to(base)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _all_files(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _, files in os.walk(folder) for name in files]


def build_record(source: Source) -> CollectionRecord:
    """Describe one source from its headers; raises ``ScanError`` when nothing usable is there."""
    if source.kind == "stac":
        from openeo_gip.catalog.stac_source import stac_record

        return stac_record(source.id, source.path)
    try:
        sidecar = load_sidecar(source.path)
    except ValueError as exc:
        raise ScanError(str(exc)) from exc
    if source.kind == "products":
        return _with_sidecar(products_record(sidecar.id or source.id, source.path), sidecar)
    files = [source.path] if source.kind == "file" else [p for p in _files(source.path) if is_raster(p)]
    record = raster_record(sidecar.id or source.id, source.kind, source.path, files, sidecar)
    return record


def raster_record(
    record_id: str, kind: str, source: Path, files: list[Path], sidecar: Sidecar
) -> CollectionRecord:
    pattern = NamePattern(sidecar.file_pattern, sidecar.time_format)
    problems: list[str] = []
    layers: list[tuple[Path, list[BandHeader], NameParts]] = []
    for path in files:
        try:
            headers = read_headers(path, sidecar.crs)
        except Exception as exc:  # any unreadable file: report it, keep the others
            problems.append(f"{path.name}: cannot be read ({exc})")
            log.warning("collection %s: skipping %s: %s", record_id, path, exc)
            continue
        if headers:
            layers.append((path, headers, pattern.parse(path.stem)))
    if not layers:
        raise ScanError(f"{source}: no readable raster file" + (f" ({problems[0]})" if problems else ""))
    band_per_file = _band_per_file(layers, pattern)
    items: dict[str | None, Item] = {}
    band_order: dict[str, BandInfo] = {}
    for path, headers, parts in layers:
        multidim = path.suffix.lower() in MULTIDIM_SUFFIXES
        for header in headers:
            when = (header.datetime or parts.datetime) if multidim else (parts.datetime or header.datetime)
            if band_per_file and len(headers) == 1 and parts.band:
                band = parts.band
            else:
                band = header.name or (parts.band if pattern.regex else None) or f"band{header.asset.index}"
            item = items.setdefault(when, Item(when))
            item.assets.setdefault(band, []).append(_with_overrides(header.asset, sidecar, band))
            item.properties.update(header.properties)
            band_order.setdefault(band, _band_info(record_id, band, header.name, sidecar))
    if None in items and len(items) > 1:
        skipped = sorted({a.href for assets in items.pop(None).assets.values() for a in assets})
        for href in skipped:
            problems.append(f"{Path(href).name}: no time found in the name or tags; left out")
        log.warning("collection %s: %d files without a time left out", record_id, len(skipped))
    all_assets = [a for item in items.values() for assets in item.assets.values() for a in assets]
    grid = common_grid(all_assets)
    crss = {asset.grid.crs for asset in all_assets}
    if len(crss) > 1:
        log.info(
            "collection %s mixes %d CRSs; files are reprojected to %s on read", record_id, len(crss), grid.crs
        )
    ordered = sorted(items.values(), key=lambda item: item.datetime or "")
    return CollectionRecord(
        id=record_id,
        kind=kind,
        source=str(source),
        grid=grid,
        bands=list(band_order.values()),
        items=ordered,
        title=sidecar.title,
        description=sidecar.description or _default_description(kind, source),
        license=sidecar.license or "proprietary",
        keywords=sidecar.keywords or [],
        providers=sidecar.providers or [],
        links=sidecar.links or [],
        problems=problems,
    )


def _band_per_file(layers, pattern: NamePattern) -> bool:
    """One band per file when single-band files of the same time and the same grid differ in their band
    word (files of one time on different grids are tiles of a mosaic, whatever their names)."""
    if pattern.regex is not None:
        return any(parts.band for _, _, parts in layers)
    words: dict[tuple, set[str | None]] = {}
    for path, headers, parts in layers:
        if len(headers) != 1 or path.suffix.lower() in MULTIDIM_SUFFIXES:
            return False
        grid = headers[0].asset.grid
        key = (
            parts.datetime or headers[0].datetime,
            grid.crs,
            tuple(grid.transform),
            grid.width,
            grid.height,
        )
        words.setdefault(key, set()).add(parts.band)
    return any(len(found) > 1 for found in words.values())


def _with_overrides(asset: Asset, sidecar: Sidecar, band: str) -> Asset:
    override = sidecar.band(band)
    for name in ("nodata", "scale", "offset"):
        value = getattr(override, name)
        if value is None:
            value = getattr(sidecar, name)
        if value is not None:
            setattr(asset, name, float(value))
    return asset


def _with_sidecar(record: CollectionRecord, sidecar: Sidecar) -> CollectionRecord:
    """A product collection with what its sidecar adds or overrides (the products say the rest)."""
    for name in ("title", "description", "license", "keywords", "providers", "links"):
        value = getattr(sidecar, name)
        if value is not None:
            setattr(record, name, value)
    for item in record.items:
        for band, assets in item.assets.items():
            item.assets[band] = [_with_overrides(asset, sidecar, band) for asset in assets]
    for band in record.bands:
        override = sidecar.band(band.name)
        for name in ("common_name", "center_wavelength", "description"):
            if getattr(override, name) is not None:
                setattr(band, name, getattr(override, name))
    return record


def _band_info(record_id: str, band: str, file_description: str | None, sidecar: Sidecar) -> BandInfo:
    override = sidecar.band(band)
    known = known_band(record_id, band)
    return BandInfo(
        name=band,
        common_name=override.common_name or known.get("common_name"),
        center_wavelength=override.center_wavelength or known.get("center_wavelength"),
        description=override.description or (file_description if file_description != band else None),
    )


def _default_description(kind: str, source: Path) -> str:
    what = "the raster file" if kind == "file" else "the folder of rasters"
    return f"Data read from {what} `{source.name}`."
