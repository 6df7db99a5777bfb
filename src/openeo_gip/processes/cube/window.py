"""aggregate_spatial_window: reduce blocks of ``size`` pixels of the x/y grid to one value each.

The reducer runs once for all blocks: the grid is cut into blocks (``coarsen(...).construct``), the pixels
of a block are laid side by side along ``_member``, and the reducer works along that dimension, lazily.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from rasterio.transform import Affine

from openeo_gip.model.limits import MAX_WINDOW_EDGE
from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.cube.common import require_cube, require_dimension
from openeo_gip.processes.cube.reduce import finish_reduction
from openeo_gip.processes.cube.zonal import grid_transform
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process

_MEMBER = "_member"
ALIGNS = ("upper-left", "lower-left", "upper-right", "lower-right")


@process()
def aggregate_spatial_window(
    data: xr.DataArray,
    reducer: Callback,
    size: list,
    boundary: str = "pad",
    align: str = "upper-left",
    context: Any = None,
) -> xr.DataArray:
    cube = require_cube(data, "aggregate_spatial_window")
    for dim in ("x", "y"):
        require_dimension(cube, dim)
    if not (isinstance(size, list) and len(size) == 2 and all(_positive_int(s) for s in size)):
        raise invalid(
            "aggregate_spatial_window",
            "size",
            f"two whole numbers of pixels (x, y) from 1 to {MAX_WINDOW_EDGE}",
        )
    if boundary not in ("pad", "trim"):
        raise invalid("aggregate_spatial_window", "boundary", "use 'pad' or 'trim'")
    if align not in ALIGNS:
        raise invalid("aggregate_spatial_window", "align", f"use one of {', '.join(ALIGNS)}")
    size_x, size_y = int(size[0]), int(size[1])
    transform = grid_transform(cube)
    # Which end of each index the padding/trimming happens at: aligned to the left, the right side changes.
    right_changes = align.endswith("left") == (transform.a > 0)
    bottom_changes = align.startswith("upper") == (transform.e < 0)
    fitted = _fit(cube, "x", size_x, boundary, at_end=right_changes, step=transform.a)
    fitted = _fit(fitted, "y", size_y, boundary, at_end=bottom_changes, step=transform.e)

    order = cube.dims
    blocks = fitted.drop_vars(["x", "y"]).coarsen(x=size_x, y=size_y)
    blocks = blocks.construct(x=("x", "_block_x"), y=("y", "_block_y")).stack(
        {_MEMBER: ("_block_y", "_block_x")}
    )
    blocks = blocks.drop_vars([_MEMBER, "_block_y", "_block_x"], errors="ignore")
    result = reducer(data=ArrayView(blocks, _MEMBER), context=context)
    reduced = finish_reduction(result, blocks, _MEMBER, "aggregate_spatial_window")
    reduced = reduced.assign_coords(
        x=_block_centres(fitted["x"].values, size_x), y=_block_centres(fitted["y"].values, size_y)
    )
    first_x, first_y = fitted["x"].values[0], fitted["y"].values[0]
    coarse = Affine(
        transform.a * size_x, 0, first_x - transform.a / 2, 0, transform.e * size_y, first_y - transform.e / 2
    )
    reduced = reduced.transpose(*order)  # finish_reduction kept the attributes and CRS
    return reduced.rio.write_transform(coarse) if cube.rio.crs is not None else reduced


def _positive_int(value: Any) -> bool:
    return (
        isinstance(value, int | np.integer) and not isinstance(value, bool) and 1 <= value <= MAX_WINDOW_EDGE
    )


def _fit(
    cube: xr.DataArray, dim: str, size: int, boundary: str, *, at_end: bool, step: float
) -> xr.DataArray:
    """``cube`` with ``dim`` padded with no-data or trimmed to a multiple of ``size``."""
    count = cube.sizes[dim]
    extra = count % size
    if extra == 0:
        return cube
    if boundary == "trim":
        if count < size:
            raise invalid(
                "aggregate_spatial_window",
                "size",
                f"a window of {size} pixels is larger than the {count} of {dim}",
            )
        return cube.isel({dim: slice(0, count - extra) if at_end else slice(extra, count)})
    missing = size - extra
    coords = cube[dim].values.astype(float)
    if at_end:
        widths, new = (0, missing), np.concatenate([coords, coords[-1] + step * np.arange(1, missing + 1)])
    else:
        widths, new = (missing, 0), np.concatenate([coords[0] - step * np.arange(missing, 0, -1), coords])
    floating = cube.astype(np.result_type(cube.dtype, np.float32))
    return floating.pad({dim: widths}, constant_values=np.nan).assign_coords({dim: new})


def _block_centres(coords: np.ndarray, size: int) -> np.ndarray:
    return coords.astype(float).reshape(-1, size).mean(axis=1)
