"""The user's uploaded files: listing, atomic streamed uploads within quota, deletion."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from openeo_gip.errors import ApiError
from openeo_gip.model.dates import rfc3339
from openeo_gip.workspace.quota import UserQuota
from openeo_gip.workspace.scratch import hold

CHUNK = 1024 * 1024
# Without a Content-Length an upload reserves quota in steps of this many bytes ahead of what it wrote.
RESERVE_STEP = 64 * 1024 * 1024


@dataclass(frozen=True)
class FileInfo:
    path: str
    size: int
    modified: datetime

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "size": self.size,
            "modified": rfc3339(self.modified),
        }


def describe(root: Path, file: Path) -> FileInfo:
    stat = file.stat()
    return FileInfo(
        file.relative_to(root).as_posix(), stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)
    )


def list_files(root: Path) -> list[FileInfo]:
    """Every regular file below ``root``, sorted by path; links are neither listed nor followed."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(name for name in dirs if not os.path.islink(os.path.join(folder, name)))
        for name in names:
            file = Path(folder, name)
            if file.is_file() and not file.is_symlink():
                found.append(describe(root, file))
    return sorted(found, key=lambda info: info.path)


def store(
    root: Path,
    target: Path,
    stream: BinaryIO,
    *,
    length: int | None,
    staging: Path,
    max_file: int,
    quota: UserQuota,
) -> FileInfo:
    """Write ``stream`` to ``target`` atomically: until the last byte arrived and fit, the old file (or
    nothing) stays in place. The bytes are reserved in ``quota`` before they are written (all of them
    when ``length`` is known, step by step otherwise), so concurrent uploads cannot pass it together."""
    check_place(root, target)  # refused before any byte is received, not when moving it in place
    if length is not None and length > max_file:
        raise ApiError("FileSizeExceeded", size=max_file)
    try:
        staging.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=staging, suffix=".part")
    except OSError as exc:
        raise storage_failure(exc) from exc
    try:
        with os.fdopen(handle, "wb") as out:
            hold(handle)  # in use: a server starting meanwhile leaves it (workspace/scratch.py)
            reserved = quota.reserve(handle, 0, length) if length is not None else 0
            written = 0
            while chunk := stream.read(CHUNK):
                written += len(chunk)
                if written > max_file:
                    raise ApiError("FileSizeExceeded", size=max_file)
                if written > reserved:
                    wanted = min(written + RESERVE_STEP, max_file)
                    reserved = quota.reserve(handle, reserved, wanted, needed=written)
                out.write(chunk)
            out.flush()
            os.ftruncate(handle, written)  # give back what was reserved and not used
            os.fsync(handle)
            if length is not None and written != length:
                raise ApiError("FileContentInvalid", f"The upload ended after {written} of {length} bytes.")
            target.parent.mkdir(parents=True, exist_ok=True)
            with quota.locked():  # no quota check counts the file in neither place (quota.py)
                os.replace(temporary, target)  # while still held: never taken for abandoned
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # the server's storage (a full disk...)
            raise storage_failure(exc) from exc
        raise
    return describe(root, target)


def check_place(root: Path, target: Path, *, folder: bool = False) -> None:
    """Refuse, before anything is stored, a ``target`` below ``root`` that the user's own files block: a
    file standing where one of its folders must be made (``FilePathInvalid``), a folder where the file
    ``target`` goes (``FolderOperationUnsupported``) or, with ``folder``, a file where the folder ``target``
    goes (``FileOperationUnsupported``). These are the user's doing, not a failure of the server's storage."""
    for parent in target.parents:
        if parent == root:
            break
        if parent.exists() and not parent.is_dir():
            reason = f"'{parent.relative_to(root).as_posix()}' is a file, not a folder"
            raise ApiError("FilePathInvalid", reason=reason)
    shown = target.relative_to(root).as_posix()
    if folder and target.exists() and not target.is_dir():
        raise ApiError("FileOperationUnsupported", f"'{shown}' is a file, not a folder.")
    if not folder and target.is_dir():
        raise ApiError("FolderOperationUnsupported", f"'{shown}' is a folder; only a file can go there.")


def storage_failure(exc: OSError) -> ApiError:
    """``StorageFailure`` for a fault of the server's storage (a full disk...) while storing."""
    reason = exc.strerror or type(exc).__name__
    return ApiError("StorageFailure", f"Storing the file failed ({reason}); nothing was stored.")


def delete(root: Path, target: Path) -> None:
    """Delete one file and the folders it leaves empty (never ``root`` itself)."""
    if target.is_dir() and not target.is_symlink():
        raise ApiError("FileOperationUnsupported", "Only files can be deleted, not folders.")
    target.unlink()
    folder = target.parent
    while folder != root and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
