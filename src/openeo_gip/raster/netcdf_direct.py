"""Reading windows of netCDF-4 variables straight through HDF5 (h5py) instead of GDAL.

GDAL's netCDF driver parses the whole file's metadata on every open (about a millisecond) and holds one
global lock for all netCDF work in the process, so the reader's open per chunk and band cost the two
worker threads a quarter of their time in bench/xarray_dask.py. h5py opens a file in a fraction of that.

Only variables whose layout is certain take this way: (band, y, x) or (y, x), the y and x sizes those of
the file's GDAL grid, with a y coordinate that says which way GDAL turned the rows (GDAL shows rows
north-up, so it flips a variable stored south to north) and an x coordinate that grows. Everything else
(netCDF-3 files, other layouts, filters h5py lacks) is read by GDAL as before. The values are the stored
numbers, as GDAL's read returns them: nodata, scale and offset are applied by the caller alike.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import h5py
import numpy as np
from rasterio.windows import Window

from openeo_gip.raster.gdal_open import netcdf_file
from openeo_gip.raster.netcdf_guard import open_self_contained
from openeo_gip.raster.records import Asset


@dataclass(frozen=True)
class _Layout:
    variable: str
    bands: int  # values along the first dimension (1 for a 2-D variable)
    flip_rows: bool


def read(asset: Asset, window: Window) -> np.ndarray | None:
    """Band ``asset.index`` of ``asset``'s variable in ``window`` (of GDAL's north-up rows), or None when
    this variable must be read by GDAL."""
    path, variable = _split(asset.href)
    if variable is None:
        return None
    try:
        status = os.stat(path)
        layout = _layout(
            path, variable, status.st_mtime_ns, status.st_size, asset.grid.height, asset.grid.width
        )
        if layout is None or not 1 <= asset.index <= layout.bands:
            return None
        row0, col0 = int(window.row_off), int(window.col_off)
        rows = slice(row0, row0 + int(window.height))
        if layout.flip_rows:  # GDAL's row r is the stored row height - 1 - r
            rows = slice(asset.grid.height - rows.stop, asset.grid.height - rows.start)
        cols = slice(col0, col0 + int(window.width))
        with open_self_contained(path, _open) as file:
            data = file[layout.variable]
            values = data[asset.index - 1, rows, cols] if data.ndim == 3 else data[rows, cols]
    except (OSError, ValueError, KeyError):  # e.g. a compression filter h5py does not have: GDAL reads it
        return None
    return values[::-1] if layout.flip_rows else values


def _split(href: str) -> tuple[str, str | None]:
    if href[:7].upper() != "NETCDF:":
        return href, None
    path = netcdf_file(href)
    variable = href[7:].partition('":')[2]
    return path, variable


def _open(path: str) -> h5py.File:
    return h5py.File(path, "r")


@functools.lru_cache(maxsize=1024)
def _layout(path: str, variable: str, _mtime: int, _size: int, height: int, width: int) -> _Layout | None:
    """How ``variable`` lies in one version of the file (keyed by its modification time and size)."""
    with open(path, "rb") as file:
        if file.read(4) != b"\x89HDF":  # netCDF-3: a flat format GDAL reads
            return None
    with open_self_contained(path, _open) as file:
        data = file.get(variable)
        if not isinstance(data, h5py.Dataset) or data.dtype.kind not in "iuf":
            return None
        if data.ndim not in (2, 3) or data.shape[-2:] != (height, width):
            return None
        ys, xs = (_coordinate(data, data.ndim + axis) for axis in (-2, -1))
        if ys is None or xs is None or len(xs) > 1 and xs[1] <= xs[0]:
            return None
        bands = data.shape[0] if data.ndim == 3 else 1
        return _Layout(data.name, bands, flip_rows=len(ys) > 1 and bool(ys[1] > ys[0]))


def _coordinate(data: h5py.Dataset, axis: int) -> np.ndarray | None:
    """The first two values of the coordinate variable of ``data``'s dimension ``axis``, if it has one."""
    scales = data.dims[axis]
    if len(scales) != 1:
        return None
    coordinate = scales[0]
    if str(coordinate.attrs.get("NAME", b""), "latin-1").startswith("This is a netCDF dimension"):
        return None  # a dimension without a coordinate variable: GDAL guesses the row order
    return coordinate[:2] if coordinate.ndim == 1 and coordinate.shape[0] == data.shape[axis] else None
