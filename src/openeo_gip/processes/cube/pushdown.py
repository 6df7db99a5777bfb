"""Filters reach the reader: a slice of a cube that comes straight from ``load_collection`` (or from
filters of it) is built anew from the narrowed reader source, so files, bands, dates and pixel windows
outside the slice are never opened or read. Dask alone would only skip whole chunks.

The evaluation context maps the dask name of each such cube to its ``reader.ReadPlan``; any other process
makes a new dask name, so a cube that was computed on is never mistaken for the raw read.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import xarray as xr

from openeo_gip.model.values import ProcessContext
from openeo_gip.raster.reader import read_array


def remember_source(ctx: ProcessContext | None, cube: xr.DataArray, source: Any) -> None:
    """Record that ``cube`` is exactly what ``source`` reads."""
    if ctx is not None and isinstance(cube.data, da.Array):
        ctx.sources[cube.data.name] = source


def _source_of(cube: xr.DataArray, ctx: ProcessContext | None) -> Any:
    return ctx.sources.get(cube.data.name) if ctx is not None and isinstance(cube.data, da.Array) else None


def band(cube: xr.DataArray, position: int, ctx: ProcessContext | None) -> xr.DataArray:
    """``cube.isel(bands=position, drop=True)``; read as that band alone when ``cube`` is a raw read, so
    no slicing task per chunk follows the reads (band maths then fuses into them)."""
    result = cube.isel(bands=position, drop=True)
    source = _source_of(cube, ctx)
    part = source.narrowed({"bands": [position]}) if source is not None else None
    if part is None:
        return result
    fresh = read_array(part, keep_bands=False)
    return result.copy(data=fresh) if fresh.shape == result.shape else result


def sliced(cube: xr.DataArray, selection: dict[str, Any], ctx: ProcessContext | None) -> xr.DataArray:
    """``cube.isel(selection)``, reading only the selected part when ``cube`` is a raw read."""
    result = cube.isel(selection)
    source = _source_of(cube, ctx)
    if source is None or any(size == 0 for size in result.shape):
        return result
    part = source.narrowed(selection)
    if part is None:
        return result
    fresh = read_array(part)
    if fresh.shape != result.shape:  # e.g. a scalar index dropped a dimension: keep the plain slice
        return result
    narrowed = result.copy(data=fresh)
    remember_source(ctx, narrowed, part)
    return narrowed
