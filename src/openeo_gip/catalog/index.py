"""The stored scan result and the ``Catalog`` that requests read.

``refresh_index`` keeps ``<system_files>/catalog/index.json`` up to date: a source whose files have the same
names, sizes and modification times as at the last scan keeps its stored record, so only changed folders
are read again. ``Catalog`` serves the stored records from memory and reloads them when another process
(``openeo-gip catalog scan``) rewrote the index.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from openeo_gip.catalog.scan import ScanError, Source, build_record, find_sources, signature
from openeo_gip.errors import ApiError
from openeo_gip.raster.records import CollectionRecord

if TYPE_CHECKING:
    from openeo_gip.catalog.private import PrivateCatalogs

log = logging.getLogger(__name__)

INDEX_VERSION = 1
_RELOAD_CHECK_SECONDS = 1.0


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
) -> ScanReport:
    """Rescan the sources under ``data_root`` that changed since the stored scan; store the result.
    ``build`` describes one source (the private catalogues pass a stricter one). ``known_failures`` (of an
    earlier report) are not tried again while their source is unchanged."""
    path = index_path(system_files)
    stored = read_index(path)
    report = ScanReport()
    entries: dict[str, dict] = {}
    previous = {entry["source"]: entry for entry in stored.values()}
    failed_before = {failure.path: failure for failure in known_failures}
    for source in find_sources(data_root):
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


class Catalog:
    """The collections a server offers, read from the stored index; lookups never touch the rasters."""

    def __init__(self, index_file: Path, private: PrivateCatalogs | None = None):
        self.index_file = index_file
        # The users' own collections (catalog/private.py); None: shared data only.
        self.private = private
        self._clashes: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._records: dict[str, CollectionRecord] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._load()

    @classmethod
    def from_config(cls, config, *, scan: bool = True) -> Catalog:
        """The catalog of a config; with ``scan`` the index is refreshed first (changed sources only)."""
        if scan:
            report = refresh_index(config.paths.data_root, config.paths.system_files)
            log.info(
                "catalog: %d collections (%d rescanned, %d failed)",
                len(report.scanned) + len(report.unchanged),
                len(report.scanned),
                len(report.failed),
            )
        from openeo_gip.catalog.private import PrivateCatalogs  # it builds on this module

        return cls(index_path(config.paths.system_files), private=PrivateCatalogs(config))

    def list(self, user=None) -> list[CollectionRecord]:
        """All collections ``user`` may see (shared ones and their own; anonymous: shared), sorted by id."""
        records = self._visible(user)
        return [records[key] for key in sorted(records)]

    def get(self, collection_id: str, user=None) -> CollectionRecord:
        try:
            return self._visible(user)[collection_id]
        except KeyError:
            error = ApiError("CollectionNotFound", identifier=collection_id)
        user_id = getattr(user, "id", None)
        reason = self.private.failure(user_id, collection_id) if self.private and user_id else None
        if reason:  # the owner of a source that gives no collection learns why (error messages hide paths)
            error.message += (
                f" Your files under collections/ hold one of that name, but it cannot be used: {reason}"
            )
        raise error

    def private_changed(self, user_id: str) -> None:
        """The user's collection folder changed: look at it again on the next request."""
        if self.private is not None:
            self.private.forget(user_id)

    def _visible(self, user) -> dict[str, CollectionRecord]:
        self._reload_if_changed()
        user_id = getattr(user, "id", None)
        if self.private is None or user_id is None:
            return self._records
        own = self.private.records(user_id)
        if not own:
            return self._records
        merged = dict(self._records)
        for key, record in own.items():
            if key not in merged:
                merged[key] = record
            elif (user_id, key) not in self._clashes:  # a shared collection keeps its id
                self._clashes.add((user_id, key))
                log.warning(
                    "catalog: private collection %s of user %s hidden by the shared one", key, user_id
                )
        return merged

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.index_file.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _load(self) -> None:
        self._stamp = self._file_stamp()
        entries = read_index(self.index_file)
        self._records = {key: CollectionRecord.from_dict(entry["record"]) for key, entry in entries.items()}

    def _reload_if_changed(self) -> None:
        now = time.monotonic()
        if now - self._checked < _RELOAD_CHECK_SECONDS:
            return
        with self._lock:
            self._checked = now
            if self._file_stamp() != self._stamp:
                log.info("catalog: index %s changed, reloading", self.index_file)
                self._load()
