"""The ``Catalog`` that requests read: the shared collections and each user's own, by id.

It serves the records of the stored index (catalog/index.py) from memory and reloads them when another
process (``openeo-gip catalog scan``) rewrote the index; a user's own collections come from
catalog/private.py.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from pathlib import Path

from openeo_gip.catalog.index import index_path, read_index, refresh_index
from openeo_gip.catalog.private import PrivateCatalogs
from openeo_gip.errors import ApiError
from openeo_gip.raster.records import CollectionRecord

log = logging.getLogger(__name__)

_RELOAD_CHECK_SECONDS = 1.0


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
        return cls(index_path(config.paths.system_files), private=PrivateCatalogs(config))

    def list(self, user=None) -> list[CollectionRecord]:
        """All collections ``user`` may see (shared ones and their own; anonymous: shared), sorted by id."""
        records = self._visible(user)
        return [records[key] for key in sorted(records)]

    def get(self, collection_id: str, user=None) -> CollectionRecord:
        visible = self._visible(user)
        if collection_id in visible:
            return visible[collection_id]
        error = ApiError("CollectionNotFound", identifier=collection_id)
        # A misspelt or wrongly cased id: the closest visible one, as a suggestion.
        by_upper = {key.upper(): key for key in visible}
        close = difflib.get_close_matches(str(collection_id).upper(), list(by_upper), n=1)
        if close:
            error.message += f" Did you mean '{by_upper[close[0]]}'?"
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
