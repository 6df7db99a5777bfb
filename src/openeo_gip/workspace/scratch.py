"""Scratch files and folders (upload staging, synchronous results) that are removed even after a crash.

Whoever writes a scratch entry holds an exclusive ``flock`` on it for as long as it is in use. At start a
server removes every scratch entry nobody holds: it was left by a process that died (a crash, a kill
during an upload). Entries of other live server processes sharing the folders keep their locks and stay.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openeo_gip.config import Config

log = logging.getLogger(__name__)

# Where uploads and copies are received before they are moved into the user's files.
STAGING = ".uploads"
RESULT_PREFIX = "result-"


def hold(fd: int) -> None:
    """Mark the open file or folder ``fd`` as in use until it is closed."""
    fcntl.flock(fd, fcntl.LOCK_EX)


@contextmanager
def scratch_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder below ``parent``, held while in use and removed with everything in it afterwards."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        hold(fd)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def _remove_if_abandoned(path: Path) -> int:
    """Remove ``path`` (file or folder) unless a live process holds it; 1 when it was removed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if path.is_dir() else 0))
    except OSError:
        return 0  # gone meanwhile, or a link (never followed; a link is no scratch of ours)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return 0
    try:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    finally:
        os.close(fd)
    return 1


def remove_abandoned_scratch(config: Config) -> int:
    """Remove the synchronous results (``cache/result-*``) and upload staging (``workspaces/*/.uploads/*``)
    that no live process holds; how many entries went."""
    candidates = list(config.paths.cache.glob(RESULT_PREFIX + "*")) if config.paths.cache.is_dir() else []
    if config.paths.workspaces.is_dir():
        candidates += config.paths.workspaces.glob(f"*/{STAGING}/*")
    removed = sum(_remove_if_abandoned(path) for path in candidates)
    if removed:
        log.info("removed %d abandoned scratch entries (results, upload staging)", removed)
    return removed
