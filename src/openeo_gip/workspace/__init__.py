"""Each user's private folder: uploads (``files/``) and job results live here, nowhere else."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from openeo_gip.config import Config


def user_folder(config: Config, user_id: str) -> Path:
    return config.paths.workspaces / user_id


def files_folder(config: Config, user_id: str) -> Path:
    """Root of what ``/files`` shows: the user's uploads."""
    return user_folder(config, user_id) / "files"


def hide_server_paths(text: str, config: Config, user_id: str | None) -> str:
    """``text`` as a user may see it: their own files named as in ``/files``, other server folders by a
    placeholder (GDAL and OS messages quote absolute paths, which tell how the server is laid out)."""
    if user_id:
        text = text.replace(f"{files_folder(config, user_id)}{os.sep}", "")
    paths = config.paths
    labels = {
        str(paths.workspaces): "<workspaces>",
        str(paths.data_root): "<data>",
        str(paths.cache): "<cache>",
        str(paths.system_files): "<system>",
    }
    for folder in sorted(labels, key=len, reverse=True):  # a folder inside another one goes first
        if folder != os.sep:
            text = text.replace(folder + os.sep, labels[folder] + "/")
    return text


def folder_size(folder: Path) -> int:
    """Bytes of the regular files under ``folder``; links are not followed, 0 when it does not exist."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                info = os.lstat(os.path.join(root, name))
            except FileNotFoundError:  # removed while walking (an upload moved into place...)
                continue
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
    return total


def storage_used(config: Config, user_id: str) -> int:
    """Bytes the user's files take (regular files only; links are not followed)."""
    return folder_size(user_folder(config, user_id))


def remove_user_folder(config: Config, user_id: str) -> tuple[Path, int]:
    """Delete the user's folder (uploads, job results, staging); the folder and the bytes it held."""
    folder = user_folder(config, user_id)
    size = folder_size(folder)
    shutil.rmtree(folder, ignore_errors=True)
    return folder, size
