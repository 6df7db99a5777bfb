"""Band indices: ndvi and normalized_difference."""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from openeo_gip.model.values import ArrayView, ProcessContext
from openeo_gip.processes.cube.common import band_position, keep_metadata, require_cube
from openeo_gip.processes.cube.pushdown import band
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process


@process()
def ndvi(
    data: xr.DataArray,
    nir: str = "nir",
    red: str = "red",
    target_band: str | None = None,
    *,
    ctx: ProcessContext | None = None,
):
    cube = require_cube(data, "ndvi")
    if "bands" not in cube.dims:
        raise process_error("DimensionAmbiguous", "The data cube has no dimension of type bands.")
    nir_at = band_position(cube, nir)
    if nir_at is None:
        raise process_error("NirBandAmbiguous", f"No band is named '{nir}' or has it as common name.")
    red_at = band_position(cube, red)
    if red_at is None:
        raise process_error("RedBandAmbiguous", f"No band is named '{red}' or has it as common name.")
    band_coords = [name for name, coord in cube.coords.items() if "bands" in coord.dims]
    if target_band is None:  # the index alone: each band read as its own array (``pushdown.band``)
        near, visible = band(cube, nir_at, ctx), band(cube, red_at, ctx)
    else:  # the whole cube is read anyway: take the bands from it, so no file is read twice
        near, visible = cube.isel(bands=nir_at), cube.isel(bands=red_at)
    near = near.drop_vars(band_coords, errors="ignore")
    visible = visible.drop_vars(band_coords, errors="ignore")
    near, visible = xr.align(near, visible, join="exact")
    dtype = np.result_type(near.dtype, visible.dtype)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)  # integers neither wrap nor truncate
    if isinstance(near.data, da.Array) or isinstance(visible.data, da.Array):
        values = da.map_blocks(_normalized, near.data, visible.data, dtype, dtype=dtype)
    else:
        values = _normalized(near.values, visible.values, dtype)
    index = keep_metadata(near.copy(data=values), cube)
    if target_band is None:
        return index
    if target_band in [str(v) for v in cube["bands"].values]:
        raise process_error("BandExists", f"The data cube already has a band '{target_band}'.")
    added = index.expand_dims(bands=[target_band]).transpose(*cube.dims)
    return keep_metadata(
        xr.concat([cube.drop_vars([c for c in band_coords if c != "bands"]), added], dim="bands"), cube
    )


def _normalized(a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """(a - b) / (a + b) in ``dtype``, dividing in place: one array less than the expression holds at once
    (a chunk of four dates is 16 MiB)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = np.subtract(a, b, dtype=dtype)
        return np.divide(difference, np.add(a, b, dtype=dtype), out=difference)


@process()
def normalized_difference(x: Any, y: Any) -> Any:
    if x is None or y is None:
        return None
    if isinstance(x, ArrayView) or isinstance(y, ArrayView):
        raise invalid("normalized_difference", "x", "numbers are expected, not arrays")
    if isinstance(x, int | float) and isinstance(y, int | float):
        x, y = np.float64(x), np.float64(y)  # 0 / 0 is NaN, not a ZeroDivisionError
    with np.errstate(divide="ignore", invalid="ignore"):
        result = (x - y) / (x + y)
    if isinstance(result, np.generic):
        return result.item()
    return result
