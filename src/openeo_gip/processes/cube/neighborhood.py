"""Focal processes: apply_kernel (a 2-D convolution over x/y) and apply_neighborhood (a callback on
windows of the cube)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from openeo_gip.model.limits import MAX_KERNEL_EDGE, MAX_WINDOW_EDGE, MAX_WINDOWS
from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.cube.common import is_temporal, keep_metadata, require_cube, require_dimension
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process

# openEO border modes as numpy padding modes.
_BORDERS = {"replicate": "edge", "reflect": "symmetric", "reflect_pixel": "reflect", "wrap": "wrap"}


def _convolver(weights: np.ndarray):
    """A block function: the 'valid' part of a convolution, computed as a weighted sum of shifted views
    (kernels are small, so this is as fast as an FFT and needs no extra library)."""
    rows, cols = weights.shape
    flipped = weights[::-1, ::-1]  # a convolution, not a correlation

    def convolve(block: np.ndarray) -> np.ndarray:
        height, width = block.shape[-2] - rows + 1, block.shape[-1] - cols + 1
        out = np.zeros((*block.shape[:-2], max(height, 0), max(width, 0)), dtype=np.float64)
        if height <= 0 or width <= 0:
            return np.full(block.shape, np.nan)
        for i, j in itertools.product(range(rows), range(cols)):
            if flipped[i, j] != 0:
                out += flipped[i, j] * block[..., i : i + height, j : j + width]
        # Keep the block's shape: the result sits in its centre, the rim is trimmed away afterwards.
        full = np.full(block.shape, np.nan)
        full[..., rows // 2 : rows // 2 + height, cols // 2 : cols // 2 + width] = out
        return full

    return convolve


@process()
def apply_kernel(
    data: xr.DataArray, kernel: list, factor: float = 1, border: Any = 0, replace_invalid: float = 0
) -> xr.DataArray:
    cube = require_cube(data, "apply_kernel")
    for dim in ("x", "y"):
        require_dimension(cube, dim)
    try:
        weights = np.array(kernel, dtype=float) * float(factor)
    except (TypeError, ValueError) as exc:
        raise invalid("apply_kernel", "kernel", "a two-dimensional array of numbers is expected") from exc
    if weights.ndim != 2 or weights.size == 0:
        raise invalid("apply_kernel", "kernel", "a two-dimensional array of numbers is expected")
    if max(weights.shape) > MAX_KERNEL_EDGE:
        raise invalid("apply_kernel", "kernel", f"at most {MAX_KERNEL_EDGE} rows and columns")
    if weights.shape[0] % 2 == 0 or weights.shape[1] % 2 == 0:
        raise process_error(
            "KernelDimensionsUneven", "Each dimension of the kernel must have an uneven size."
        )
    half_y, half_x = weights.shape[0] // 2, weights.shape[1] // 2
    order = cube.dims
    cube = cube.transpose(..., "y", "x")
    values = cube.data if isinstance(cube.data, da.Array) else da.from_array(cube.data)
    values = values.astype(np.float64)
    values = da.where(da.isfinite(values), values, float(replace_invalid))
    pad_width = [(0, 0)] * (values.ndim - 2) + [(half_y, half_y), (half_x, half_x)]
    if isinstance(border, int | float) and not isinstance(border, bool):
        padded = da.pad(values, pad_width, mode="constant", constant_values=float(border))
    elif border in _BORDERS:
        padded = da.pad(values, pad_width, mode=_BORDERS[border])
    else:
        raise invalid("apply_kernel", "border", f"a number or one of {', '.join(_BORDERS)} is expected")
    # Each block sees its neighbours' rims (depth); the padded border rim is cut off at the end.
    depth = {values.ndim - 2: half_y, values.ndim - 1: half_x}
    convolved = padded.map_overlap(_convolver(weights), depth=depth, boundary="none", dtype=np.float64)
    convolved = convolved[..., half_y : half_y + cube.sizes["y"], half_x : half_x + cube.sizes["x"]]
    result = cube.copy(data=convolved).transpose(*order)
    return keep_metadata(result, cube)


# ---- apply_neighborhood ------------------------------------------------------------------------------


def _pixels(entry: dict, cube: xr.DataArray, parameter: str) -> tuple[str, int | None]:
    """A ``{dimension, value, unit}`` size or overlap in pixels (``None``: the whole dimension)."""
    if not isinstance(entry, dict) or "dimension" not in entry:
        raise invalid("apply_neighborhood", parameter, "each entry needs a dimension and a value")
    dim, value, unit = entry["dimension"], entry.get("value"), entry.get("unit", "px")
    require_dimension(cube, dim)
    if value is None:
        return dim, None
    if isinstance(value, str):
        raise invalid(
            "apply_neighborhood", parameter, f"durations like '{value}' are not supported; use pixels"
        )
    if unit == "m":
        if dim not in ("x", "y") or cube.sizes[dim] < 2:
            raise invalid("apply_neighborhood", parameter, "meters apply to spatial dimensions only")
        step = abs(float(cube[dim].values[1] - cube[dim].values[0]))
        value = round(float(value) / step) if math.isfinite(float(value) / step) else math.inf
    elif unit not in (None, "px"):
        raise invalid("apply_neighborhood", parameter, f"unknown unit '{unit}'")
    if not 0 <= value <= MAX_WINDOW_EDGE or int(value) != value:  # NaN fails the first test
        raise invalid(
            "apply_neighborhood", parameter, f"pixel counts are whole numbers from 0 to {MAX_WINDOW_EDGE}"
        )
    return dim, int(value)


def _extended_labels(cube: xr.DataArray, dim: str, start: int, stop: int) -> np.ndarray | None:
    """Labels of positions ``start..stop`` (possibly beyond the cube), extrapolated on regular axes."""
    if dim not in cube.coords:
        return None
    labels = cube[dim].values
    inner = labels[max(start, 0) : min(stop, len(labels))]
    if start >= 0 and stop <= len(labels):
        return inner
    if len(labels) >= 2 and np.issubdtype(labels.dtype, np.number):
        return labels[0] + (labels[1] - labels[0]) * np.arange(start, stop)
    if is_temporal(cube, dim):
        return np.concatenate(
            [
                np.full(max(-start, 0), np.datetime64("NaT"), labels.dtype),
                inner,
                np.full(max(stop - len(labels), 0), np.datetime64("NaT"), labels.dtype),
            ]
        )
    return None


def _window(cube: xr.DataArray, bounds: dict[str, tuple[int, int]]) -> xr.DataArray:
    """The cube between ``bounds`` (start, stop) per dimension; outside the cube: no-data."""
    inside = {dim: slice(max(a, 0), min(b, cube.sizes[dim])) for dim, (a, b) in bounds.items()}
    window = cube.isel(inside)
    padding = {dim: (max(-a, 0), max(b - cube.sizes[dim], 0)) for dim, (a, b) in bounds.items()}
    padding = {dim: pad for dim, pad in padding.items() if pad != (0, 0)}
    if padding:
        window = window.astype(np.result_type(window.dtype, np.float32)).pad(padding, constant_values=np.nan)
        labels = {dim: _extended_labels(cube, dim, *bounds[dim]) for dim in padding}
        window = window.assign_coords({dim: v for dim, v in labels.items() if v is not None})
    return window


@process()
def apply_neighborhood(
    data: xr.DataArray, process: Callback, size: list, overlap: list | None = None, context: Any = None
) -> xr.DataArray:
    cube = require_cube(data, "apply_neighborhood")
    sizes = dict(_pixels(entry, cube, "size") for entry in size or [])
    overlaps = dict(_pixels(entry, cube, "overlap") for entry in overlap or [])
    windowed = [dim for dim in cube.dims if sizes.get(dim) not in (None, 0) and sizes[dim] < cube.sizes[dim]]
    starts = {dim: range(0, cube.sizes[dim], sizes[dim]) for dim in windowed}
    count = int(np.prod([len(r) for r in starts.values()])) if starts else 1
    if count > MAX_WINDOWS:
        raise invalid("apply_neighborhood", "size", f"{count} windows are too many; choose larger sizes")
    pieces = {}
    for corner in itertools.product(*starts.values()):
        core = {
            dim: (s, min(s + sizes[dim], cube.sizes[dim])) for dim, s in zip(windowed, corner, strict=True)
        }
        margin = {dim: overlaps.get(dim) or 0 for dim in windowed}
        bounds = {dim: (a - margin[dim], a + sizes[dim] + margin[dim]) for dim, (a, _) in core.items()}
        bounds = {dim: (a, b if margin[dim] else core[dim][1]) for dim, (a, b) in bounds.items()}
        window = _window(cube, bounds)
        argument = ArrayView(window, str(window.dims[0])) if window.ndim == 1 else window
        result = process(data=argument, context=context)
        result = result.data if isinstance(result, ArrayView) else result
        if not isinstance(result, xr.DataArray) or result.sizes != window.sizes:
            raise process_error(
                "DataCubePropertiesImmutable",
                "The process must return each window with its dimensions unchanged.",
            )
        keep = {dim: slice(core[dim][0] - bounds[dim][0], core[dim][1] - bounds[dim][0]) for dim in windowed}
        piece = result.transpose(*window.dims).isel(keep)
        piece = piece.assign_coords(
            {dim: cube[dim].values[slice(*core[dim])] for dim in windowed if dim in cube.coords}
        )
        pieces[corner] = piece
    result = _assemble(pieces, windowed, [list(r) for r in starts.values()])
    return keep_metadata(result.transpose(*cube.dims), cube)


def _assemble(pieces: dict, dims: list[str], starts: list[list[int]]) -> xr.DataArray:
    """Concatenate window results back into one cube, one dimension at a time."""
    if not dims:
        return pieces[()]
    rows = []
    for first in starts[0]:
        sub = {key[1:]: value for key, value in pieces.items() if key[0] == first}
        rows.append(_assemble(sub, dims[1:], starts[1:]))
    return xr.concat(rows, dim=dims[0], coords="minimal", compat="override")
