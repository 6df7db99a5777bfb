"""Each user's own collections: the sources under ``<workspace>/files/collections/``.

The shared scanner describes them (header-only, rescanning only changed sources); the index of a user lives
in ``<system_files>/users/<user_id>/catalog/index.json``, outside the workspace so it costs no quota and is
never listed under ``/files``. A user's index is brought up to date when their collections are asked for,
at most once a second per process, and at once after an upload or deletion under ``collections/``
(``forget``).

Workspace files come from users, so they are trusted less than the shared data: STAC documents (whose
assets could point anywhere) are not read, links are refused, and a ``.tif``/``.nc`` must really be a
TIFF/netCDF file, not e.g. a GDAL VRT that would read other files of the server.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from openeo_gip.catalog.index import Failure, index_path, read_index, refresh_index
from openeo_gip.catalog.scan import ScanError, Source, build_record
from openeo_gip.config import Config
from openeo_gip.errors import ApiError
from openeo_gip.raster.gdal_open import read_driver
from openeo_gip.raster.headers import SIGNATURES, has_signature, is_raster
from openeo_gip.raster.records import CollectionRecord
from openeo_gip.workspace import files_folder

log = logging.getLogger(__name__)

COLLECTIONS_FOLDER = "collections"
_CHECK_SECONDS = 1.0


def collections_folder(config: Config, user_id: str) -> Path:
    return files_folder(config, user_id) / COLLECTIONS_FOLDER


def is_collections_path(parts: list[str]) -> bool:
    """Whether a workspace path (as segments) lies in the folder of private collections."""
    return len(parts) > 1 and parts[0] == COLLECTIONS_FOLDER


def build_private_record(source: Source) -> CollectionRecord:
    """``build_record`` for a workspace source, after refusing what could read beyond the workspace."""
    if source.kind == "stac":
        raise ScanError("STAC documents are not read from workspaces; use load_stac with their path instead")
    check_files(source.path)
    return build_record(source)


def check_bundle_folder(folder: Path) -> None:
    """Refuse an unpacked bundle (``FileContentInvalid``) that would not give a usable collection."""
    try:
        build_private_record(Source(folder.name, "folder", folder))
    except (ScanError, ValueError, OSError) as exc:
        message = str(exc).replace(f"{folder}/", "").replace(str(folder), "the bundle")
        raise ApiError(
            "FileContentInvalid", f"The bundle was refused: {message}. Nothing was stored."
        ) from None


def check_files(path: Path) -> None:
    """Raise ``ScanError`` for links and for raster files whose content is not what their name says."""
    if path.is_symlink():
        raise ScanError(f"{path.name} is a link; links are not read")
    if path.is_file():
        _check_magic(path)
        return
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            entry = Path(root, name)
            if entry.is_symlink():
                raise ScanError(f"{entry.relative_to(path)} is a link; links are not read")
            if entry.is_file() and is_raster(entry):
                _check_magic(entry)


def _check_magic(file: Path) -> None:
    format_name = read_driver(file)
    if format_name in SIGNATURES and not has_signature(file, format_name):
        raise ScanError(f"{file.name} is not a {file.suffix.lower().lstrip('.')} file")


@dataclass
class _UserIndex:
    stamp: tuple[int, int, int] | None = None
    checked: float = 0.0
    records: dict[str, CollectionRecord] = field(default_factory=dict)
    failed: dict[str, Failure] = field(default_factory=dict)  # collection id -> why its source gives none
    lock: threading.Lock = field(default_factory=threading.Lock)


class PrivateCatalogs:
    """The private collections of every user, by user id; kept in memory between checks."""

    def __init__(self, config: Config):
        self.config = config
        self._users: dict[str, _UserIndex] = {}
        self._lock = threading.Lock()

    def index_root(self, user_id: str) -> Path:
        return self.config.paths.system_files / "users" / user_id

    def records(self, user_id: str) -> dict[str, CollectionRecord]:
        """The user's collections by id, rescanned where their files changed."""
        with self._lock:
            state = self._users.setdefault(user_id, _UserIndex())
        with state.lock:
            now = time.monotonic()
            if now - state.checked < _CHECK_SECONDS:
                return state.records
            self._refresh(user_id, state)
            state.checked = now
            return state.records

    def failure(self, user_id: str, collection_id: str) -> str | None:
        """Why the user's source of that id gives no collection (as of the last look at their files)."""
        with self._lock:
            state = self._users.get(user_id)
        failure = state.failed.get(collection_id) if state is not None else None
        return failure.reason if failure is not None else None

    def forget(self, user_id: str) -> None:
        """Look at the user's files again on the next request (after an upload or a deletion)."""
        with self._lock:
            state = self._users.get(user_id)
        if state is not None:
            state.checked = 0.0

    def _refresh(self, user_id: str, state: _UserIndex) -> None:
        folder = collections_folder(self.config, user_id)
        if not folder.is_dir():
            state.records, state.stamp, state.failed = {}, None, {}
            return
        try:  # refresh_index logs every folder it cannot use
            report = refresh_index(
                folder,
                self.index_root(user_id),
                build=build_private_record,
                known_failures=state.failed.values(),
                products=False,  # product folders bring JPEG 2000 and XML: read from the shared data only
            )
        except OSError as exc:  # e.g. a file deleted while its folder was read: keep what was known
            log.warning("user %s: collections not refreshed: %s", user_id, exc)
            return
        state.failed = report.failed
        index = index_path(self.index_root(user_id))
        stat = index.stat()
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp == state.stamp:
            return
        records = {}
        for key, entry in read_index(index).items():
            record = CollectionRecord.from_dict(entry["record"])
            record.owner = user_id
            records[key] = record
        state.records, state.stamp = records, stamp
