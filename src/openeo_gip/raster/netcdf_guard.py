"""netCDF files are read only when all their data is inside them.

netCDF-4 is HDF5, and HDF5 lets a dataset keep its bytes in other files: external raw storage names any
path and byte range, a virtual dataset maps other HDF5 files, an external link opens another file. A user
could upload such a file and read the server's configuration, database or another user's files through
it, so every netCDF file is checked before GDAL or xarray opens it.

The check and the open must see the same file, though GDAL and xarray open it by name: a user could rename
a crafted file over a checked one in between (an upload does exactly that). So the checked file is held
open, and once the library has opened its name, the name must still lead to that very file. It cannot have
pointed elsewhere meanwhile: the held file's inode stays taken, and users have no way to link a name back
to it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import h5py
from rasterio.errors import RasterioIOError

Opened = TypeVar("Opened")

_CLASSIC_MAGIC = b"CDF"  # netCDF-3 (classic, 64-bit offset, CDF-5): a flat file, nothing to follow
# Verdicts by file version, for the whole process like an lru_cache (which cannot be used: the check needs
# the open descriptor, which is no part of the key). They are facts about files, the same for every app.
_verdicts: dict[tuple[int, int, int, int], str | None] = {}
_MAX_VERDICTS = 4096
_UNCHECKED = object()


def open_self_contained(path: str, opener: Callable[[str], Opened]) -> Opened:
    """``opener(path)`` (which opens the netCDF file ``path``, returning something with ``close``) after
    checking that the file reads nothing from other files; raises ``RasterioIOError`` (an ``OSError``)
    otherwise."""
    fd = os.open(path, os.O_RDONLY)
    try:
        held = os.fstat(fd)
        # What identifies one version of one file: an upload makes a new inode, so it is checked anew.
        key = (held.st_dev, held.st_ino, held.st_mtime_ns, held.st_size)
        problem = _verdicts.get(key, _UNCHECKED)  # one lookup: another thread may clear the cache
        if problem is _UNCHECKED:
            problem = _problem(fd)
            if len(_verdicts) >= _MAX_VERDICTS:
                _verdicts.clear()
            _verdicts[key] = problem
        if problem:
            raise RasterioIOError(f"{path}: {problem}; only netCDF files holding all their data are read")
        opened = opener(path)
        if not os.path.samestat(held, os.stat(path)):
            opened.close()
            raise RasterioIOError(f"{path}: replaced while it was being opened")
        return opened
    finally:
        os.close(fd)


def _problem(fd: int) -> str | None:
    if os.pread(fd, len(_CLASSIC_MAGIC), 0) == _CLASSIC_MAGIC:
        return None
    try:
        with os.fdopen(os.dup(fd), "rb") as file, h5py.File(file, "r") as root:
            return root.visititems_links(lambda name, link: _link_problem(root, name, link))
    except (OSError, KeyError, RuntimeError, ValueError):  # h5py's errors on what is not (valid) HDF5
        return "not a netCDF file"


def _link_problem(root: h5py.File, name: str, link) -> str | None:
    if isinstance(link, h5py.ExternalLink):
        return f"{name} links to another file"
    if isinstance(link, h5py.HardLink):
        item = root[name]
        if isinstance(item, h5py.Dataset) and (item.external or item.is_virtual):
            return f"variable {name} keeps its data in other files"
    return None
