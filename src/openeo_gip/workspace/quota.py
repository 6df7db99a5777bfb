"""The storage quota of one user, checked and reserved in one step so that concurrent uploads and copies
cannot together store more than it allows.

A writer reserves space by growing its staging file (a sparse file: no disk blocks yet) to the size it
will reach, under the user's lock. Every check counts every file of the user's folder, staging files
included, so each writer sees what the others reserved. Files are moved from the staging into place under
the lock too: a check walking the folder during a move could find them in neither place. The lock is an
``flock`` of the user's folder: it holds between the threads of a server and between server processes on
one machine.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openeo_gip.config import Config
from openeo_gip.errors import ApiError
from openeo_gip.workspace import folder_size, user_folder


@dataclass(frozen=True)
class UserQuota:
    folder: Path  # the user's folder: every regular file in it counts
    limit: int  # bytes
    freed: int = 0  # bytes the write frees when it is done (the files it replaces)

    def free(self) -> int:
        """Bytes still free, with the reservations of writes in progress counted as used."""
        return self.limit - folder_size(self.folder) + self.freed

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def reserve(self, fd: int, reserved: int, wanted: int, needed: int | None = None) -> int:
        """Grow the staging file ``fd`` (``reserved`` bytes so far) to ``wanted`` bytes, or to as much as
        is free when that is less but still at least ``needed``; the new size. ``StorageQuotaExceeded``
        when not even ``needed`` bytes fit."""
        needed = wanted if needed is None else needed
        with self.locked():
            free = self.free()
            room = reserved + free
            if needed > room:
                raise quota_exceeded(needed - reserved, free)
            size = min(wanted, room)
            os.ftruncate(fd, size)
        return size


class Reservation:
    """Quota held ahead of a write that makes many files (a bundle being unpacked): the size of the sparse
    staging file ``fd`` is what is reserved and not written yet. Before each piece is written, ``cover``
    makes sure it is reserved (``StorageQuotaExceeded`` when it does not fit), reserving up to ``step`` bytes
    ahead; after, ``written`` takes it out again, as the written bytes count themselves."""

    def __init__(self, quota: UserQuota, fd: int, step: int):
        self.quota = quota
        self.fd = fd
        self.step = step
        self.ahead = 0

    def cover(self, size: int) -> None:
        if size > self.ahead:
            self.ahead = self.quota.reserve(self.fd, self.ahead, max(size, self.step), needed=size)

    def written(self, size: int) -> None:
        self.ahead -= size
        os.ftruncate(self.fd, self.ahead)


def user_quota(config: Config, user_id: str, freed: int = 0) -> UserQuota:
    return UserQuota(user_folder(config, user_id), config.quota.storage_bytes, freed)


def quota_exceeded(size: int, free: int) -> ApiError:
    return ApiError(
        "StorageQuotaExceeded",
        f"Storing {size:,} more bytes would exceed your storage quota ({max(free, 0):,} bytes left).",
    )
