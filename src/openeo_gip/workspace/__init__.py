"""Each user's private folder: uploads (``files/``) and job results live here, nowhere else."""

from __future__ import annotations

import os
from pathlib import Path

from openeo_gip.config import Config


def user_folder(config: Config, user_id: str) -> Path:
    return config.paths.workspaces / user_id


def files_folder(config: Config, user_id: str) -> Path:
    """Root of what ``/files`` shows: the user's uploads."""
    return user_folder(config, user_id) / "files"


def storage_used(config: Config, user_id: str) -> int:
    """Bytes the user's files take (regular files only; links are not followed)."""
    total = 0
    for root, _dirs, files in os.walk(user_folder(config, user_id)):
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total
