"""Applying a UDF to a whole (lazy) cube, piece by piece, so large cubes still stream.

The cube is cut along ``x`` and ``y`` only (following its chunks); every other dimension reaches the UDF
whole, so a UDF may reduce or reshape ``t`` or ``bands`` but must return each piece with its ``x`` and
``y`` unchanged. The first piece is computed at once: its result tells the shape, labels and type of all
others, which then run lazily as dask tasks (one UDF process each).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import dask
import dask.array as da
import numpy as np
import xarray as xr

from openeo_gip.udf.sandbox import UdfLimits, run_in_sandbox, udf_error

SPATIAL = ("y", "x")
# Values in one piece at most (32 MB of float64): larger chunks are cut smaller along x and y.
MAX_PIECE_VALUES = 4_000_000


@dataclass(frozen=True)
class UdfCall:
    """One UDF with its context and limits; calling it runs the UDF on one piece in a child process."""

    source: str
    context: Any
    limits: UdfLimits

    def __call__(self, piece: xr.DataArray) -> xr.DataArray:
        return run_in_sandbox(self.source, piece, self.context, self.limits)


@dataclass(frozen=True)
class _Shape:
    """What every piece's result must look like (learned from the first piece)."""

    dims: tuple[str, ...]
    sizes: dict[str, int]
    labels: dict[str, np.ndarray]
    dtype: np.dtype


def apply_udf(cube: xr.DataArray, call: UdfCall, piece_pixels: int = 512) -> xr.DataArray:
    spatial = [dim for dim in SPATIAL if dim in cube.dims]
    others = [str(dim) for dim in cube.dims if dim not in spatial]
    cube = cube.transpose(*others, *spatial)
    if not spatial:
        return _conform(call(cube.compute()), cube, spatial)
    cube = _pieces_of(cube, others, spatial, piece_pixels)
    starts = {dim: _starts(cube.chunksizes[dim]) for dim in spatial}
    corners = list(itertools.product(*(range(len(starts[dim])) for dim in spatial)))

    def piece(corner: tuple[int, ...]) -> xr.DataArray:
        return cube.isel(
            {
                dim: slice(starts[dim][i], starts[dim][i] + cube.chunksizes[dim][i])
                for dim, i in zip(spatial, corner, strict=True)
            }
        )

    first = _conform(call(piece(corners[0]).compute()), piece(corners[0]), spatial)
    shape = _Shape(
        dims=tuple(str(d) for d in first.dims),
        sizes={str(d): first.sizes[d] for d in first.dims if d not in spatial},
        labels={str(d): first[d].values for d in first.dims if d not in spatial and d in first.coords},
        dtype=first.dtype,
    )
    blocks = {corners[0]: da.from_array(first.values, chunks=first.shape)}
    for corner in corners[1:]:
        part = piece(corner)
        block_shape = tuple(shape.sizes[d] if d not in spatial else part.sizes[d] for d in shape.dims)
        task = dask.delayed(_run_piece, pure=True)(part, call, shape, spatial)
        blocks[corner] = da.from_delayed(task, shape=block_shape, dtype=shape.dtype)
    values = _nest(blocks, [len(starts[dim]) for dim in spatial], len(shape.sizes))
    coords = {**shape.labels, **{dim: cube[dim].values for dim in spatial if dim in cube.coords}}
    return xr.DataArray(values, dims=shape.dims, coords=coords, attrs=first.attrs, name=first.name)


def _starts(sizes: tuple[int, ...]) -> list[int]:
    return [int(v) for v in np.cumsum((0, *sizes[:-1]))]


def _pieces_of(cube: xr.DataArray, others: list[str], spatial: list[str], edge: int) -> xr.DataArray:
    """The cube chunked whole along ``others`` and in pieces of bounded size along x and y."""
    cube = cube.chunk({dim: -1 for dim in others}) if cube.chunks is not None else cube.chunk(-1)
    if any(max(cube.chunksizes[dim]) > edge for dim in spatial):
        cube = cube.chunk({dim: edge for dim in spatial})
    per_pixel = math.prod(cube.sizes[dim] for dim in others)
    largest = per_pixel * math.prod(max(cube.chunksizes[dim]) for dim in spatial)
    if largest > MAX_PIECE_VALUES:
        side = max(1, int((MAX_PIECE_VALUES / per_pixel) ** (1 / len(spatial))))
        cube = cube.chunk({dim: side for dim in spatial})
    return cube


def _conform(result: xr.DataArray, piece: xr.DataArray, spatial: list[str]) -> xr.DataArray:
    """The result with x and y last and labelled like the piece; x and y must be unchanged."""
    for dim in spatial:
        if dim not in result.dims or result.sizes[dim] != piece.sizes[dim]:
            raise udf_error(
                f"it must return each piece with its dimension '{dim}' unchanged "
                f"({piece.sizes[dim]} values); it returned dimensions {dict(result.sizes)}"
            )
    result = result.transpose(*[d for d in result.dims if d not in spatial], *spatial)
    return result.assign_coords({dim: piece[dim].values for dim in spatial if dim in piece.coords})


def _run_piece(part: xr.DataArray, call: UdfCall, shape: _Shape, spatial: list[str]) -> np.ndarray:
    result = _conform(call(part), part, spatial)
    same = tuple(result.dims) == shape.dims and all(result.sizes[d] == n for d, n in shape.sizes.items())
    same = same and all(
        d in result.coords and np.array_equal(result[d].values, labels) for d, labels in shape.labels.items()
    )
    if not same:
        raise udf_error("it returned pieces of the cube with different dimensions, sizes or labels")
    return result.values.astype(shape.dtype, copy=False)


def _nest(blocks: dict[tuple[int, ...], da.Array], counts: list[int], leading: int) -> da.Array:
    """``da.block`` over the x/y grid of pieces, the result's other dimensions being whole."""

    def level(prefix: tuple[int, ...]) -> Any:
        if len(prefix) == len(counts):
            return blocks[prefix]
        return [level((*prefix, i)) for i in range(counts[len(prefix)])]

    grid = level(())
    for _ in range(leading):
        grid = [grid]
    return da.block(grid)
