"""Lazy reads of a collection into an ``xarray.DataArray`` (dims ``t``, ``bands``, ``y``, ``x``).

Only the items (times and properties), bands and pixel window asked for become dask tasks; each task reads
one chunk of one band of the files that cover it. Chunks are whole multiples of the files' internal tiles,
counted from the collection grid's origin, so a chunk never reads a tile twice. Files on the collection's
grid are read directly; files in another CRS or resolution through a GDAL warped view onto the grid.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import dask.array as da
import numpy as np
import rasterio
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine
from dask.layers import ArrayBlockwiseDep
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from openeo_gip.errors import ApiError
from openeo_gip.raster import netcdf_direct
from openeo_gip.raster.gdal_open import open_coarser, open_raster
from openeo_gip.raster.grid import is_aligned, pixel_offset, window_for_bbox
from openeo_gip.raster.records import Asset, CollectionRecord, Grid, Item

# Target chunk edge in pixels when the caller gives none: 1024 x 1024 float32 is 4 MiB. Larger chunks
# mean fewer tasks (each costs the distributed scheduler about a millisecond), but 2048 px made the
# masked median of bench/ndvi_mean.py (W2) peak at 3 GB instead of 1.2 GB.
DEFAULT_CHUNK = 1024
# Consecutive dates in one chunk (of one band): up to 16 MiB, 4 dates of 1024 x 1024 float32, and at most
# 16, all 12 dates of a map tile, while a long series of a small window still spreads over the threads.
# Each task costs the distributed scheduler and worker about 1.5 ms of the GIL the maths needs too: one
# task per date and chunk made that a third of a masked mean's time over 2000 x 2000 px.
DATES_CHUNK_BYTES = 16 * 2**20
MAX_DATES_PER_CHUNK = 16


def load_cube(record: CollectionRecord, **selection: Any) -> xr.DataArray:
    """The collection as a lazy cube, cut to what ``select_source`` selects with ``selection``."""
    return build_cube(select_source(record, **selection))


@dataclass(frozen=True)
class ReadPlan:
    """What a cube straight from the reader reads: its items (one per time), bands and pixel window of the
    collection grid. A part of it (``narrowed``) builds a cube that opens and reads only that part."""

    record: CollectionRecord
    items: tuple[Item, ...]
    bands: tuple[str, ...]
    window: tuple[int, int, int, int]  # row0, row1, col0, col1 on the collection grid
    dtype: np.dtype
    chunks: int | None = None

    def narrowed(self, selection: dict[str, Any]) -> ReadPlan | None:
        """The part an ``isel`` selection (``t``/``bands``: positions or a slice; ``y``/``x``: a slice with
        step 1) keeps; None when the selection is of another kind (the caller then slices the cube)."""
        items, bands, window = self.items, self.bands, list(self.window)
        for dim, index in selection.items():
            if dim == "t" and self.record.has_time:
                items = _pick(items, index)
            elif dim == "bands":
                bands = _pick(bands, index)
            elif dim in ("y", "x") and isinstance(index, slice) and index.step in (None, 1):
                first = 0 if dim == "y" else 2
                start, stop, _ = index.indices(window[first + 1] - window[first])
                window[first], window[first + 1] = window[first] + start, window[first] + max(start, stop)
            else:
                return None
            if items is None or bands is None:
                return None
        return replace(self, items=items, bands=bands, window=tuple(window))


def _pick(values: tuple, index: Any) -> tuple | None:
    if isinstance(index, slice):
        return values[index]
    try:
        return tuple(values[int(i)] for i in np.asarray(index).reshape(-1))
    except (TypeError, ValueError, IndexError):
        return None


def select_source(
    record: CollectionRecord,
    spatial_extent: dict | None = None,
    temporal_extent: tuple[str | None, str | None] | None = None,
    bands: list[str] | None = None,
    properties: dict | None = None,
    chunks: int | None = None,
    process: str = "load_collection",
) -> ReadPlan:
    """The items, bands and window of ``record`` that a cube of it, cut to the extents, bands and item
    properties given, reads (``build_cube`` makes the cube).

    ``spatial_extent``: openEO bounding box (``west``, ``south``, ``east``, ``north``, optional ``crs``:
    EPSG code or WKT/PROJ string, default 4326). ``temporal_extent``: half-open ``[start, end)`` of ISO
    strings, either may be None. ``properties``: item property name -> a callable returning True for
    wanted values, or a plain value the property must equal. ``chunks``: chunk edge in pixels (rounded to
    whole tiles). Values are float32 (float64 for wide sources), nodata NaN, scale/offset applied.
    ``process`` names the calling process in error messages.
    """
    band_names = _select_bands(record, bands, process)
    items = _select_items(record, temporal_extent, properties, process)
    window = _window(record.grid, spatial_extent, process)
    if record.has_time:
        items = _merge_same_time(items)
    elif items:
        items = [_merge_all(items)]
    if not record.has_time and not items:
        raise ApiError(
            "ProcessParameterInvalid",
            process=process,
            parameter="properties",
            reason="no data of the collection matches the property filters",
        )
    dtype = _output_dtype(record, band_names)
    return ReadPlan(record, tuple(items), tuple(band_names), window, dtype, chunks)


def build_cube(source: ReadPlan, keep_bands: bool = True) -> xr.DataArray:
    """The lazy cube reading exactly ``source``: a dask task per chunk, band and time. A source of one
    band with ``keep_bands=False`` gives the cube without the ``bands`` dimension (that band's values)."""
    record, band_names = source.record, list(source.bands)
    grid = record.grid
    row0, row1, col0, col1 = source.window
    keep_bands = keep_bands or len(band_names) != 1
    sub = Affine(*grid.transform[:6]) @ Affine.translation(col0, row0)
    sub_grid = Grid(grid.crs, list(sub)[:6], col1 - col0, row1 - row0)
    coords: dict[str, Any] = {"y": sub_grid.y_coords(), "x": sub_grid.x_coords()}
    if keep_bands:
        coords["bands"] = band_names
    if record.has_time:
        coords["t"] = np.array([np.datetime64(item.datetime.rstrip("Z"), "ns") for item in source.items])
    dims = [name for name, kept in zip(("t", "bands"), (record.has_time, keep_bands), strict=True) if kept]
    coords[GRID_MAPPING] = _grid_mapping(grid.crs, sub)
    cube = xr.DataArray(
        read_array(source, keep_bands), dims=[*dims, "y", "x"], coords=coords, attrs={"collection": record.id}
    )
    cube.encoding["grid_mapping"] = GRID_MAPPING
    cube.name = None  # not the name dask gave the array
    return cube


def read_array(source: ReadPlan, keep_bands: bool = True) -> da.Array:
    """The values of ``build_cube(source, keep_bands)`` alone, without coordinates: for a cube that has
    them already (a slice of a cube read, ``processes/cube/pushdown.py``)."""
    items, dtype = source.items, source.dtype
    row0, row1, col0, col1 = source.window
    sample = next((a for item in items for assets in item.assets.values() for a in assets), None)
    # One blockwise layer for the whole cube, with exactly the cube's dimensions (no arrays per band and
    # date stacked together, no slicing afterwards): one task per chunk, and the steps that follow fuse
    # into it.
    axes = (source.record.has_time, keep_bands or len(source.bands) != 1)
    rows, cols = _chunks((row0, row1), (col0, col1), sample, source.chunks)
    dates = _split(0, len(items), _dates_per_chunk(rows[0] * cols[0] * dtype.itemsize)) if items else (0,)
    chunks = [edges for edges, kept in zip((dates, (1,) * len(source.bands)), axes, strict=True) if kept]
    chunks += [rows, cols]
    if not items or not source.bands:
        # One chunk for the empty case: dask cannot size automatic chunks of a zero-length array.
        return da.zeros(tuple(sum(c) for c in chunks), dtype=dtype, chunks=-1)
    table = [[item.assets.get(name, []) for name in source.bands] for item in items]
    return _read_array(source.record, table, axes, (row0, col0), chunks, dtype)


# The coordinate holding the CRS and transform, named as rioxarray names it.
GRID_MAPPING = "spatial_ref"


def _grid_mapping(crs: str, transform: Affine) -> xr.Variable:
    """The ``spatial_ref`` coordinate that rioxarray's ``write_crs`` and ``write_transform`` write."""
    attrs = {**_crs_attributes(crs), "GeoTransform": " ".join(str(v) for v in transform.to_gdal())}
    return xr.Variable((), 0, attrs=attrs)


@functools.lru_cache(maxsize=64)
def _crs_attributes(crs: str) -> dict[str, Any]:
    """The CRS attributes (CF grid mapping, WKT) rioxarray gives ``spatial_ref``, made once per CRS: making
    them (pyproj's ``to_cf``) took about a millisecond per cube. Callers copy the dict."""
    template = xr.DataArray(np.zeros((1, 1)), dims=("y", "x")).rio.write_crs(CRS.from_user_input(crs))
    return dict(template.coords[GRID_MAPPING].attrs)


def _read_array(record: CollectionRecord, table, axes, origin, chunks, dtype) -> da.Array:
    """One blockwise layer reading ``table`` (date -> band -> files), a task per chunk. Each task is
    given the files of its date and band and its window (``_Blocks``), and the layer a name made here:
    dask neither walks nor hashes the table (that was most of the time of building a small cube).

    The name says what is read: the files with their sizes and modification times, the window, chunks
    and dtype. A file replaced in place (same header) gives other keys, so the cluster never answers with
    what it computed from the old file."""
    files = tuple(
        (a.href, a.index, a.nodata, a.scale, a.offset, a.grid.crs, *a.grid.transform)
        for assets in (assets for row in table for assets in row)
        for a in assets
    )
    grid = record.grid
    what = (
        record.id,
        grid.crs,
        *grid.transform,
        files,
        _file_versions(table),
        axes,
        origin,
        chunks,
        dtype.str,
    )
    token = hashlib.sha1(repr(what).encode()).hexdigest()  # repr: exact, and fast for strings and numbers
    index = tuple(range(len(chunks)))
    return da.blockwise(
        _read_cube_block,
        index,
        _Blocks(tuple(chunks), table, axes, origin),
        index,
        grid=grid,
        out_dtype=dtype,
        name=f"read-{token}",
        dtype=dtype,
        meta=np.array((), dtype=dtype),
        align_arrays=False,
    )


class _Blocks(ArrayBlockwiseDep):
    """What the task of each chunk reads: the files of its date and band (``table[date][band]``), and its
    window on the collection grid. ``axes``: whether the cube has a date and a band axis (chunks of one);
    ``origin``: the cube's first row and column on the grid."""

    def __init__(self, chunks, table: list[list[list[Asset]]], axes: tuple[bool, bool], origin):
        super().__init__(chunks)
        self.table, self.axes = table, axes
        self.dates = tuple(itertools.accumulate(chunks[0], initial=0)) if axes[0] else (0, 1)
        self.rows, self.cols = (
            tuple(itertools.accumulate(edges, initial=start))
            for edges, start in zip(chunks[-2:], origin, strict=True)
        )

    def __getitem__(self, block: tuple[int, ...]) -> tuple:
        *outer, row, col = block
        date = outer.pop(0) if self.axes[0] else 0
        band = outer.pop(0) if self.axes[1] else 0
        first, last = self.dates[date : date + 2]
        (top, bottom), (left, right) = self.rows[row : row + 2], self.cols[col : col + 2]
        shape = (last - first,) * self.axes[0] + (1,) * self.axes[1] + (bottom - top, right - left)
        return [self.table[d][band] for d in range(first, last)], top, left, shape


# The file of a GDAL subdataset name such as NETCDF:"/data/t.nc":temperature.
_SUBDATASET = re.compile(r'^[A-Z0-9]+:"(?P<path>[^"]+)":')


def _file_versions(table: list[list[list[Asset]]]) -> list[tuple[int, int]]:
    """Size and modification time of every local file ``table`` reads (remote ones: none)."""
    versions = []
    for assets in (assets for row in table for assets in row):
        for asset in assets:
            match = _SUBDATASET.match(asset.href)
            path = match["path"] if match else asset.href
            try:
                status = os.stat(path)
            except (OSError, ValueError):  # an address, or a file gone meanwhile (its read will say so)
                continue
            versions.append((status.st_size, status.st_mtime_ns))
    return versions


def _select_bands(record: CollectionRecord, bands: list[str] | None, process: str) -> list[str]:
    if bands is None:
        return record.band_names
    known = {band.name: band.name for band in record.bands}
    known.update({band.common_name: band.name for band in record.bands if band.common_name})
    unknown = [name for name in bands if name not in known]
    if unknown:
        raise ApiError(
            "ProcessParameterInvalid",
            process=process,
            parameter="bands",
            reason=f"no band {', '.join(unknown)} in {record.id}; it has {', '.join(record.band_names)}",
        )
    return [known[name] for name in bands]


def _parse_time(value: str | None, process: str = "load_collection") -> dt.datetime | None:
    if value is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            "ProcessParameterInvalid",
            process=process,
            parameter="temporal_extent",
            reason=f"{value!r} is not an ISO 8601 date or date-time",
        ) from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp


def _select_items(
    record: CollectionRecord, temporal_extent, properties: dict | None, process: str
) -> list[Item]:
    start = end = None
    if temporal_extent is not None:
        start, end = (_parse_time(value, process) for value in temporal_extent)
    selected = []
    for item in record.items:
        if item.datetime is not None and (start or end):
            when = _parse_time(item.datetime)
            if (start and when < start) or (end and when >= end):
                continue
        if properties and not all(_matches(item, name, test) for name, test in properties.items()):
            continue
        selected.append(item)
    return selected


def _matches(item: Item, name: str, test: Callable[[Any], bool] | Any) -> bool:
    if name not in item.properties:
        return False
    value = item.properties[name]
    return bool(test(value)) if callable(test) else value == test


def _merge_same_time(items: list[Item]) -> list[Item]:
    """Items of one time (tiles of a mosaic) become one item."""
    merged: dict[str, Item] = {}
    for item in items:
        target = merged.setdefault(item.datetime, Item(item.datetime))
        for band, assets in item.assets.items():
            target.assets.setdefault(band, []).extend(assets)
    return [merged[key] for key in sorted(merged)]


def _merge_all(items: list[Item]) -> Item:
    return _merge_same_time([Item(None, item.assets) for item in items])[0] if len(items) > 1 else items[0]


def _window(grid: Grid, extent: dict | None, process: str) -> tuple[int, int, int, int]:
    if not extent:
        return 0, grid.height, 0, grid.width
    try:
        bbox = tuple(float(extent[key]) for key in ("west", "south", "east", "north"))
        crs = CRS.from_user_input(extent.get("crs") or 4326)
    except (KeyError, TypeError, ValueError, rasterio.errors.CRSError) as exc:
        raise ApiError(
            "ProcessParameterInvalid",
            process=process,
            parameter="spatial_extent",
            reason=f"not a valid bounding box ({exc})",
        ) from None
    if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
        raise ApiError(
            "ProcessParameterInvalid",
            process=process,
            parameter="spatial_extent",
            reason="west must not exceed east, south must not exceed north",
        )
    row0, row1, col0, col1 = window_for_bbox(grid, bbox, crs)
    # A point or a line still selects the pixel it lies in.
    if row1 == row0 and row0 < grid.height and bbox[1] == bbox[3]:
        row1 = row0 + 1
    if col1 == col0 and col0 < grid.width and bbox[0] == bbox[2]:
        col1 = col0 + 1
    if row1 <= row0 or col1 <= col0:  # no overlap: an empty cube, the caller decides what that means
        return 0, 0, 0, 0
    return row0, row1, col0, col1


def _output_dtype(record: CollectionRecord, bands: list[str]) -> np.dtype:
    wide = {"float64", "int32", "uint32", "int64", "uint64"}
    for item in record.items:
        for name in bands:
            if any(asset.dtype in wide for asset in item.assets.get(name, [])):
                return np.dtype("float64")
    return np.dtype("float32")


def _chunks(rows: tuple[int, int], cols: tuple[int, int], sample: Asset | None, target: int | None):
    """Chunk edges: multiples of the files' tiles, aligned to the grid origin, ~``target`` pixels each."""
    block_rows, block_cols = sample.block if sample else (256, 256)
    target = target or DEFAULT_CHUNK
    size_rows = max(1, round(target / block_rows)) * block_rows
    size_cols = max(1, round(target / block_cols)) * block_cols
    return _split(*rows, size_rows), _split(*cols, size_cols)


def _dates_per_chunk(bytes_per_date: int) -> int:
    return max(1, min(MAX_DATES_PER_CHUNK, DATES_CHUNK_BYTES // max(bytes_per_date, 1)))


def _split(start: int, stop: int, size: int) -> tuple[int, ...]:
    edges = [start]
    boundary = (start // size + 1) * size
    while boundary < stop:
        edges.append(boundary)
        boundary += size
    edges.append(stop)
    return tuple(b - a for a, b in zip(edges, edges[1:], strict=False)) or (0,)


def _read_cube_block(block: tuple, grid: Grid, out_dtype) -> np.ndarray:
    """One chunk (consecutive dates of one band) of the cube, ``block`` as ``_Blocks`` gives it: the files
    to read from per date (none, for a band missing at a date, gives NaN), the chunk's first row and
    column on ``grid`` and its shape."""
    dates, row, col, shape = block
    height, width = shape[-2:]
    if len(dates) == 1:
        return _read_date(dates[0], grid, row, col, height, width, out_dtype).reshape(shape)
    out = np.empty((len(dates), height, width), dtype=out_dtype)
    for position, assets in enumerate(dates):
        out[position] = _read_date(assets, grid, row, col, height, width, out_dtype)
    return out.reshape(shape)


def _read_date(assets: list[Asset], grid: Grid, row: int, col: int, height: int, width: int, dtype):
    if not assets:
        return np.full((height, width), np.nan, dtype=dtype)
    return read_window(assets, grid, row, col, height, width, dtype)


def read_window(assets: list[Asset], grid: Grid, row: int, col: int, height: int, width: int, dtype):
    """Pixels [row:row+height, col:col+width] of ``grid`` from the files covering them (first file wins
    where several overlap), as floats with nodata NaN and scale/offset applied."""
    if len(assets) == 1 and _covers(assets[0], grid, row, col, height, width):
        return _read_whole(assets[0], grid, row, col, height, width, dtype)
    out = np.full((height, width), np.nan, dtype=dtype)
    for asset in assets:
        if is_aligned(asset.grid, grid):
            _read_aligned(asset, grid, row, col, out)
        else:
            _read_warped(asset, grid, row, col, out)
    return out


def _covers(asset: Asset, grid: Grid, row: int, col: int, height: int, width: int) -> bool:
    """Whether ``asset`` lies on ``grid`` and holds all of the window (most chunks of most cubes)."""
    if not is_aligned(asset.grid, grid):
        return False
    off_row, off_col = pixel_offset(asset.grid, grid)
    top, left = row - off_row, col - off_col
    return top >= 0 and left >= 0 and top + height <= asset.grid.height and left + width <= asset.grid.width


def _read_whole(asset: Asset, grid: Grid, row: int, col: int, height: int, width: int, dtype) -> np.ndarray:
    """The window from the one file holding all of it: its values as they are, no NaN canvas to fill."""
    off_row, off_col = pixel_offset(asset.grid, grid)
    raw = _read_band(asset, Window(col - off_col, row - off_row, width, height))
    return _to_values(raw, asset, np.dtype(dtype))


def _read_aligned(asset: Asset, grid: Grid, row: int, col: int, out: np.ndarray) -> None:
    off_row, off_col = pixel_offset(asset.grid, grid)
    height, width = out.shape
    # The chunk in the asset's own pixel coordinates, cut to the asset.
    top, left = row - off_row, col - off_col
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + height, asset.grid.height), min(left + width, asset.grid.width)
    if r1 <= r0 or c1 <= c0:
        return
    raw = _read_band(asset, Window(c0, r0, c1 - c0, r1 - r0))
    values = _to_values(raw, asset, out.dtype)
    target = out[r0 - top : r1 - top, c0 - left : c1 - left]
    np.copyto(target, values, where=np.isnan(target))


def _read_band(asset: Asset, window: Window) -> np.ndarray:
    """The stored numbers of ``asset`` in ``window`` of its own pixels."""
    raw = netcdf_direct.read(asset, window)
    if raw is None:
        with open_raster(asset.href) as src:
            raw = src.read(asset.index, window=window)
    return raw


def _read_warped(asset: Asset, grid: Grid, row: int, col: int, out: np.ndarray) -> None:
    height, width = out.shape
    transform = grid.affine @ Affine.translation(col, row)
    if not _overlaps(asset.grid, grid, transform, width, height):
        return
    with open_coarser(asset.href, asset.index, _coarser_by(asset.grid, grid)) as src:
        with WarpedVRT(
            src,
            src_crs=asset.grid.rio_crs,  # the catalogue's CRS, for files that state none or a wrong one
            crs=grid.rio_crs,
            transform=transform,
            width=width,
            height=height,
            resampling=Resampling.nearest,
            src_nodata=asset.nodata,
            nodata=np.nan,
            dtype="float64",
        ) as vrt:
            raw = vrt.read(asset.index)
    values = (
        raw.astype(out.dtype) * asset.scale + asset.offset if (asset.scale, asset.offset) != (1, 0) else raw
    )
    np.copyto(out, values.astype(out.dtype), where=np.isnan(out))


def _coarser_by(asset_grid: Grid, grid: Grid) -> float:
    """How many times coarser ``grid``'s pixels are than the file's (1 across CRSs). Only a grid coarser
    than the collection's own, as map tiles of low zoom levels read (services/layer.py), is above 1."""
    if asset_grid.crs != grid.crs:
        return 1.0
    return min(new / old for new, old in zip(grid.resolution, asset_grid.resolution, strict=True))


def _overlaps(asset_grid: Grid, grid: Grid, transform: Affine, width: int, height: int) -> bool:
    from rasterio.warp import transform_bounds

    west, north = transform @ (0, 0)
    east, south = transform @ (width, height)
    box = transform_bounds(grid.rio_crs, asset_grid.rio_crs, west, south, east, north, densify_pts=5)
    a = asset_grid.bounds
    return box[0] < a[2] and box[2] > a[0] and box[1] < a[3] and box[3] > a[1]


def _to_values(raw: np.ndarray, asset: Asset, dtype: np.dtype) -> np.ndarray:
    values = raw.astype(dtype)
    if asset.nodata is not None and not (math.isnan(asset.nodata) and raw.dtype == dtype):
        # NaN nodata of a float file read as that float type is NaN already
        if math.isnan(asset.nodata):
            invalid = np.isnan(values)
        else:
            invalid = raw == np.asarray(asset.nodata).astype(raw.dtype)
        np.copyto(values, np.nan, where=invalid)  # a third of putmask's time
    if asset.scale != 1.0 or asset.offset != 0.0:
        values *= dtype.type(asset.scale)
        values += dtype.type(asset.offset)
    return values
