"""Copying result files into the user's files (``export_workspace`` and ``jobs.export_results_to_files``).

The workspace this back-end offers is called ``files``: the user's own file space of ``/files``. Copies
count against the storage quota like uploads; when they do not fit nothing is copied.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from openeo_gip.config import Config
from openeo_gip.errors import ApiError
from openeo_gip.workspace import files_folder, storage_used, user_folder
from openeo_gip.workspace.files import FileInfo, describe
from openeo_gip.workspace.paths import resolve_in

# The identifier of the one workspace, as ``export_workspace`` names it.
FILES_WORKSPACE = "files"


def export_files(
    config: Config, user_id: str, source: Path, files: list[Path], target: str
) -> list[FileInfo]:
    """Copy ``files`` (below ``source``, keeping their paths relative to it) to ``files/<target>/``.

    Files of the same name already there are replaced. ``StorageQuotaExceeded`` when the copies do not
    fit into what is left of the quota (replaced files counted as free); then nothing is copied."""
    root = files_folder(config, user_id)
    resolve_in(root, target)
    pairs = [(file, resolve_in(root, f"{target}/{file.relative_to(source).as_posix()}")) for file in files]
    for _, copy in pairs:
        _check_place(root, copy)
    needed = sum(file.stat().st_size for file, _ in pairs)
    replaced = sum(copy.stat().st_size for _, copy in pairs if copy.is_file())
    free = config.quota.storage_bytes - storage_used(config, user_id) + replaced
    if needed > free:
        raise ApiError(
            "StorageQuotaExceeded",
            f"Copying {needed:,} bytes of results to your files would exceed your storage quota "
            f"({max(free, 0):,} bytes left).",
        )
    staging = user_folder(config, user_id) / ".uploads"  # where uploads are received too: not listed
    copied: list[FileInfo] = []
    for file, copy in pairs:
        temporary = None
        try:
            staging.mkdir(parents=True, exist_ok=True)
            copy.parent.mkdir(parents=True, exist_ok=True)
            # Copied aside first, then renamed into place: a listing never shows half a file.
            handle, temporary = tempfile.mkstemp(dir=staging, prefix="export-", suffix=".part")
            os.close(handle)
            shutil.copyfile(file, temporary)
            os.replace(temporary, copy)
        except BaseException as exc:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            if not isinstance(exc, OSError):
                raise
            # The paths were checked above: what is left is the server's storage (a full disk...).
            raise ApiError(
                "StorageFailure",
                f"Copying the results to your files failed after {len(copied)} of {len(pairs)} file(s) "
                f"({exc.strerror or type(exc).__name__}); please try again later.",
            ) from exc
        copied.append(describe(root, copy))
    return copied


def _check_place(root: Path, copy: Path) -> None:
    """``FilePathInvalid`` when one of the user's files stands where a folder of ``copy`` must be made,
    or a folder where the copy must go: the user's doing, not a failure of the server's storage."""
    if copy.is_dir():
        raise ApiError("FilePathInvalid", reason=f"'{copy.relative_to(root).as_posix()}' is a folder")
    for folder in copy.parents:
        if folder == root:
            return
        if folder.exists() and not folder.is_dir():
            raise ApiError(
                "FilePathInvalid", reason=f"'{folder.relative_to(root).as_posix()}' is a file, not a folder"
            )
