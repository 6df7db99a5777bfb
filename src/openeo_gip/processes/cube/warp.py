"""Warp a dask array's last two (y, x) dimensions onto another grid, one output chunk per task.

Each output chunk reads only the window of the source it needs: the chunk's outline transformed into the
source grid, widened by the resampling kernel. No task holds a block as large as the extent, so a warp
over any area runs in the memory of a few chunks (issue #15: a whole-extent slab needed 39 GiB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from uuid import uuid4

import dask.array as da
import numpy as np
import pyproj
import rasterio.warp
from dask.highlevelgraph import HighLevelGraph
from rasterio.enums import Resampling
from rasterio.transform import Affine

# The edge of an output chunk, in target pixels, when target and source pixels are alike; coarser targets
# get smaller chunks so that each task's source window stays near this edge.
CHUNK_EDGE = 1024
# Source pixels a kernel reaches beyond the point it samples (at equal resolution).
_KERNEL_REACH = {
    Resampling.nearest: 1,
    Resampling.bilinear: 2,
    Resampling.cubic: 3,
    Resampling.cubic_spline: 3,
    Resampling.lanczos: 4,
}
_EDGE_POINTS = 21  # points per chunk side transformed to find its source window (edges may curve)


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: its affine transform, CRS and (height, width)."""

    transform: Affine
    crs: pyproj.CRS
    shape: tuple[int, int]


def warp(values: da.Array, source: Grid, target: Grid, method: Resampling) -> da.Array:
    """``values`` (..., y, x) on ``source`` resampled onto ``target``; float (NaN for no data), lazy,
    chunked in y/x by ``CHUNK_EDGE`` (less for coarser targets) and like ``values`` in the leading ones."""
    dtype = np.result_type(values.dtype, np.float32)
    to_source = _pixel_mapper(target, source)
    scales = _scales(to_source, target)
    scale = max(scales)
    edge = max(16, min(CHUNK_EDGE, int(CHUNK_EDGE / scale)))
    out_rows, out_cols = (_split(size, edge) for size in target.shape)
    reach = math.ceil(_KERNEL_REACH.get(method, 1) * max(1.0, scale)) + 1
    edges = (np.cumsum((0, *values.chunks[-2])), np.cumsum((0, *values.chunks[-1])))
    name = f"warp-{uuid4().hex}"
    graph: dict = {}
    for iy, (y0, y1) in enumerate(_bounds(out_rows)):
        for ix, (x0, x1) in enumerate(_bounds(out_cols)):
            window = _source_window(to_source, (y0, y1, x0, x1), reach, source.shape)
            chunk = Grid(target.transform @ Affine.translation(x0, y0), target.crs, (y1 - y0, x1 - x0))
            for lead in np.ndindex(*values.numblocks[:-2]):
                key = (name, *lead, iy, ix)
                if window is None:
                    shape = (*(values.chunks[d][i] for d, i in enumerate(lead)), *chunk.shape)
                    graph[key] = (np.full, shape, np.nan, dtype)
                else:
                    blocks, crop = _window_blocks(values, lead, window, edges)
                    origin = source.transform @ Affine.translation(window[2], window[0])
                    window_grid = Grid(origin, source.crs, (window[1] - window[0], window[3] - window[2]))
                    graph[key] = (_warp_window, blocks, crop, window_grid, chunk, method, scales, dtype)
    layer = HighLevelGraph.from_collections(name, graph, dependencies=[values])
    return da.Array(layer, name, chunks=(*values.chunks[:-2], out_rows, out_cols), dtype=dtype)


def _window_blocks(values: da.Array, lead: tuple, window: tuple, edges: tuple) -> tuple[list, tuple]:
    """The keys of the source blocks covering a window (a nested list, rows of blocks) and the window's
    rows and columns within those blocks joined."""
    r0, r1, c0, c1 = window
    row_edges, col_edges = edges
    rows = range(np.searchsorted(row_edges, r0, "right") - 1, np.searchsorted(row_edges, r1))
    cols = range(np.searchsorted(col_edges, c0, "right") - 1, np.searchsorted(col_edges, c1))
    keys = values.__dask_keys__()
    for index in lead:
        keys = keys[index]
    top, left = row_edges[rows[0]], col_edges[cols[0]]
    return [[keys[j][i] for i in cols] for j in rows], (r0 - top, r1 - top, c0 - left, c1 - left)


def _warp_window(
    blocks: list,
    crop: tuple,
    source: Grid,
    target: Grid,
    method: Resampling,
    scales: tuple[float, float],
    dtype: np.dtype,
) -> np.ndarray:
    """One output chunk: the source blocks joined, cut to the window, every 2-D slab warped."""
    r0, r1, c0, c1 = crop
    window = np.block(blocks)[..., r0:r1, c0:c1]
    *leading, height, width = window.shape
    slabs = window.reshape(-1, height, width).astype(dtype)
    result = np.full((slabs.shape[0], *target.shape), np.nan, dtype=dtype)
    rasterio.warp.reproject(
        slabs,
        result,
        src_transform=source.transform,
        src_crs=source.crs.to_wkt(),
        src_nodata=np.nan,
        dst_transform=target.transform,
        dst_crs=target.crs.to_wkt(),
        dst_nodata=np.nan,
        resampling=method,
        # GDAL would size the kernel from each chunk's own window (smaller at the edges of the source), so
        # values would depend on the chunking; the scale of the whole grid keeps them independent of it.
        YSCALE=_kernel_scale(scales[0]),
        XSCALE=_kernel_scale(scales[1]),
    )
    return result.reshape(*leading, *target.shape)


def _kernel_scale(source_per_target: float) -> float:
    """GDAL's XSCALE/YSCALE (target pixels per source pixel). Within 1 % of the source's pixel size it is
    no downsampling: GDAL would widen a bilinear kernel from 2 to 4 pixels for a scale of 0.999."""
    return 1.0 if source_per_target < 1.01 else 1 / source_per_target


def _pixel_mapper(target: Grid, source: Grid):
    """A function from target pixel (row, col) corners to source pixel (row, col) positions."""
    transformer = pyproj.Transformer.from_crs(target.crs, source.crs, always_xy=True)
    to_source_pixels = ~source.transform

    def mapper(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = transformer.transform(*(target.transform * (cols, rows)), errcheck=False)
        cols_out, rows_out = to_source_pixels * (np.asarray(xs), np.asarray(ys))
        return np.asarray(rows_out), np.asarray(cols_out)

    return mapper


def _outline(y0: int, y1: int, x0: int, x1: int) -> tuple[np.ndarray, np.ndarray]:
    """Points along the four sides of a pixel rectangle (corner coordinates)."""
    ys, xs = np.linspace(y0, y1, _EDGE_POINTS), np.linspace(x0, x1, _EDGE_POINTS)
    rows = np.concatenate([ys, ys, np.full_like(xs, y0), np.full_like(xs, y1)])
    cols = np.concatenate([np.full_like(ys, x0), np.full_like(ys, x1), xs, xs])
    return rows, cols


def _source_window(mapper, chunk: tuple[int, int, int, int], reach: int, source_shape: tuple[int, int]):
    """Rows r0:r1 and columns c0:c1 of the source that the chunk's resampling reads, or None."""
    rows, cols = mapper(*_outline(*chunk))
    finite = np.isfinite(rows) & np.isfinite(cols)
    if not finite.any():
        return None
    height, width = source_shape
    r0 = max(0, math.floor(rows[finite].min()) - reach)
    r1 = min(height, math.ceil(rows[finite].max()) + reach)
    c0 = max(0, math.floor(cols[finite].min()) - reach)
    c1 = min(width, math.ceil(cols[finite].max()) + reach)
    return (r0, r1, c0, c1) if r0 < r1 and c0 < c1 else None


def _scales(mapper, target: Grid) -> tuple[float, float]:
    """Source pixels per target pixel along y and x: the length in the source grid of one target pixel's
    step down and across, the median over points spread over the target grid (a rotation is no scale)."""
    height, width = target.shape
    rows, cols = (a.ravel() for a in np.meshgrid(np.linspace(0, height, 7), np.linspace(0, width, 7)))
    at = mapper(rows, cols)
    down, across = mapper(rows + 1, cols), mapper(rows, cols + 1)
    steps = [np.hypot(step[0] - at[0], step[1] - at[1]) for step in (down, across)]
    medians = [np.median(step[np.isfinite(step)]) if np.isfinite(step).any() else 1.0 for step in steps]
    return max(float(medians[0]), 1e-9), max(float(medians[1]), 1e-9)


def _split(size: int, edge: int) -> tuple[int, ...]:
    return (edge,) * (size // edge) + ((size % edge,) if size % edge else ())


def _bounds(chunks: tuple[int, ...]) -> list[tuple[int, int]]:
    ends = np.cumsum(chunks)
    return [(int(end - size), int(end)) for size, end in zip(chunks, ends, strict=True)]
