"""Copying result files into the user's files (``export_workspace`` and ``jobs.export_results_to_files``).

The workspace this back-end offers is called ``files``: the user's own file space of ``/files``. Copies
count against the storage quota like uploads; when they do not fit nothing is copied.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from openeo_gip.config import Config
from openeo_gip.errors import ApiError
from openeo_gip.workspace import files_folder, user_folder
from openeo_gip.workspace.files import FileInfo, check_place, describe
from openeo_gip.workspace.paths import resolve_in
from openeo_gip.workspace.quota import user_quota
from openeo_gip.workspace.scratch import STAGING, scratch_folder

# The identifier of the one workspace, as ``export_workspace`` names it.
FILES_WORKSPACE = "files"


def job_export_folder(job_id: str) -> str:
    """The folder under the user's files a job's results are copied to when none is named."""
    return f"jobs/{job_id}"


def copy_into_files(
    config: Config, user_id: str, source: Path, files: list[Path], target: str
) -> list[FileInfo]:
    """Copy ``files`` (below ``source``, keeping their paths relative to it) to ``files/<target>/``.

    Files of the same name already there are replaced. ``StorageQuotaExceeded`` when the copies do not
    fit into what is left of the quota (replaced files counted as free); then nothing is copied."""
    root = files_folder(config, user_id)
    pairs = [(file, resolve_in(root, f"{target}/{file.relative_to(source).as_posix()}")) for file in files]
    if not pairs:
        resolve_in(root, target)  # nothing to copy: a path that could leave the files is still refused
    for _, copy in pairs:
        check_place(root, copy)
    needed = sum(file.stat().st_size for file, _ in pairs)
    replaced = sum(copy.stat().st_size for _, copy in pairs if copy.is_file())
    quota = user_quota(config, user_id, freed=replaced)
    copied: list[FileInfo] = []
    try:
        with scratch_folder(user_folder(config, user_id) / STAGING, "export-") as work:
            # Reserved in one step before any copy: concurrent uploads and copies see it (quota.py).
            with open(work / "reserved", "wb") as reservation:
                try:
                    quota.reserve(reservation.fileno(), 0, needed)
                except ApiError:
                    raise ApiError(
                        "StorageQuotaExceeded",
                        f"Copying {needed:,} bytes of results to your files would exceed your storage "
                        f"quota ({max(quota.free(), 0):,} bytes left).",
                    ) from None
                for file, copy in pairs:
                    # Copied aside first, then renamed into place: a listing never shows half a file.
                    temporary = work / "copy.part"
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(file, temporary)
                    with quota.locked():  # no quota check counts the copy in neither place
                        os.replace(temporary, copy)
                    copied.append(describe(root, copy))
    except OSError as exc:
        raise _copy_failed(exc, len(copied), len(pairs)) from exc
    return copied


def _copy_failed(exc: OSError, done: int, total: int) -> ApiError:
    # The paths were checked before: what is left is the server's storage (a full disk...).
    return ApiError(
        "StorageFailure",
        f"Copying the results to your files failed after {done} of {total} file(s) "
        f"({exc.strerror or type(exc).__name__}); please try again later.",
    )
