"""The stored scan result, of the shared data and of each user's own collections (catalog/private.py).

``refresh_index`` keeps ``<system_files>/catalog/index.json`` up to date: a source whose files have the same
names, sizes and modification times as at the last scan keeps its stored record, so only changed folders
are read again. The ``Catalog`` (catalog/catalog.py) serves what it stored.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from openeo_gip.catalog.scan import ScanError, Source, build_record, find_sources, signature
from openeo_gip.raster.records import CollectionRecord

log = logging.getLogger(__name__)

INDEX_VERSION = 1


def index_path(system_files: Path) -> Path:
    return system_files / "catalog" / "index.json"


@dataclass(frozen=True)
class Failure:
    """A source that gave no collection: which version of it (``signature``), and why."""

    path: str
    signature: str
    reason: str


@dataclass
class ScanReport:
    """What a refresh did, for the ``catalog scan`` command and the log."""

    scanned: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, Failure] = field(default_factory=dict)  # collection id -> why it gave none
    problems: dict[str, list[str]] = field(default_factory=dict)  # collection id -> broken files


def refresh_index(
    data_root: Path,
    system_files: Path,
    *,
    force: bool = False,
    build: Callable[[Source], CollectionRecord] = build_record,
    known_failures: Iterable[Failure] = (),
    products: bool = True,
) -> ScanReport:
    """Rescan the sources under ``data_root`` that changed since the stored scan; store the result.
    ``build`` describes one source (the private catalogues pass a stricter one). ``known_failures`` (of an
    earlier report) are not tried again while their source is unchanged. ``products``: whether folders of
    satellite products are collections (not in users' workspaces)."""
    path = index_path(system_files)
    stored = read_index(path)
    report = ScanReport()
    entries: dict[str, dict] = {}
    previous = {entry["source"]: entry for entry in stored.values()}
    failed_before = {failure.path: failure for failure in known_failures}
    for source in find_sources(data_root, products=products):
        digest = signature(source)
        old = previous.get(str(source.path))
        failure = failed_before.get(str(source.path))
        if old is not None and old["signature"] == digest and not force:
            entry = old
            report.unchanged.append(old["record"]["id"])
        elif failure is not None and failure.signature == digest and not force:
            report.failed[source.id] = failure  # logged when it first failed
            continue
        else:
            try:
                record = build(source)
            except (ScanError, ValueError, OSError) as exc:
                log.error("catalog: %s is not a usable collection: %s", source.path, exc)
                report.failed[source.id] = Failure(str(source.path), digest, str(exc))
                continue
            entry = {"source": str(source.path), "signature": digest, "record": record.to_dict()}
            report.scanned.append(record.id)
            for problem in record.problems:
                log.warning("catalog: collection %s: %s", record.id, problem)
        record_id = entry["record"]["id"]
        if record_id in entries:
            reason = f"collection id {record_id} is already used by {entries[record_id]['source']}"
            log.error("catalog: %s skipped: %s", source.path, reason)
            # No signature: whether it clashes depends on other sources, so it is looked at every time.
            report.failed[source.id] = Failure(str(source.path), "", f"{source.path}: {reason}")
            continue
        entries[record_id] = entry
        if entry["record"]["problems"]:
            report.problems[record_id] = entry["record"]["problems"]
    report.removed = sorted(set(stored) - set(entries))
    if entries != stored or not path.exists():
        _write(path, entries)
    return report


def read_index(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        log.warning("catalog index %s is unreadable; everything is scanned again", path)
        return {}
    if data.get("version") != INDEX_VERSION:
        return {}
    return data["collections"]


def _write(path: Path, entries: dict[str, dict]) -> None:
    """Write atomically, so a server reading the index never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".index-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"version": INDEX_VERSION, "collections": entries}, out)
    os.replace(tmp, path)
