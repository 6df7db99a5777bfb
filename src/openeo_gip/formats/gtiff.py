"""GeoTIFF output: cloud-optimised (tiled, compressed, with overviews).

A cube with several dates becomes one file per date, each tagged with its date (``datetime``), for batch
jobs; or, where one file is wanted (a synchronous request), one file whose bands are every date's bands in
turn, described ``2022-06-01/B04``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rasterio
import xarray as xr

from openeo_gip.formats.raster_layout import (
    as_bands_yx,
    band_names,
    compute,
    geotransform,
    storable,
    time_dimension,
    unsuitable,
)
from openeo_gip.formats.record import OutputFormat
from openeo_gip.model.dates import rfc3339
from openeo_gip.model.limits import MAX_TILE_SIZE

# Below this size a cube with several dates is computed in one go (shared inputs are read once);
# above it, date by date, so memory holds one date at a time.
_COMPUTE_AT_ONCE_BYTES = 256 * 1024**2


def write_gtiff(data: Any, folder: Path, options: dict, client: Any = None) -> list[Path]:
    if not isinstance(data, xr.DataArray):
        raise unsuitable("GTiff stores raster data cubes only.")
    time = time_dimension(data)
    if time is None:
        return [_write_one(data, folder / "result.tif", options, client)]
    as_bands_yx(data.isel({time: 0}, drop=True), "GTiff")  # unsuitable layouts fail before any work
    if data.nbytes <= _COMPUTE_AT_ONCE_BYTES:
        data = compute(data, client)
    paths = []
    for position, label in enumerate(data[time].values):
        slice_ = data.isel({time: position}, drop=True)
        path = folder / f"result_{_file_label(label)}.tif"
        paths.append(_write_one(slice_, path, options, client, tags=_date_tags(label)))
    return paths


def write_gtiff_single(data: Any, folder: Path, options: dict, client: Any = None) -> list[Path]:
    """One GeoTIFF even when several dates remain: the bands of each date in turn, named ``<date>/<band>``
    (a cube of one date is that date's file, as in a batch job)."""
    if not isinstance(data, xr.DataArray):
        raise unsuitable("GTiff stores raster data cubes only.")
    time = time_dimension(data)
    if time is None or data.sizes[time] <= 1:
        return write_gtiff(data, folder, options, client)
    layers = []
    for position, label in enumerate(data[time].values):
        layer = as_bands_yx(data.isel({time: position}, drop=True), "GTiff")
        names = [f"{_band_label(label)}/{band}" for band in band_names(layer)]
        layers.append(layer.assign_coords(bands=names))
    stacked = xr.concat(layers, dim="bands")
    labels = data[time].values
    tags = {"start_datetime": _stamp(labels.min()), "end_datetime": _stamp(labels.max())}
    return [_write_one(stacked, folder / "result.tif", options, client, tags=tags)]


def _stamp(label: Any) -> str | None:
    return rfc3339(label) if isinstance(label, np.datetime64) else None


def _date_tags(label: Any) -> dict[str, str | None]:
    """The ``datetime`` tag of a date's file, which the job's STAC items (jobs/assets.py) and the
    catalogue (raster/headers.py) read back."""
    return {"datetime": _stamp(label)}


def _band_label(label: Any) -> str:
    """A date as ``2021-01-05``, with the time (RFC 3339) when there is one; other labels as they are."""
    if isinstance(label, np.datetime64):
        stamp = pd.Timestamp(label)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else rfc3339(label)
    return str(label)


def _file_label(label: Any) -> str:
    """A date label as ``2021-01-05`` (with the time when there is one); other labels as they are."""
    if isinstance(label, np.datetime64):
        stamp = pd.Timestamp(label)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.strftime("%Y-%m-%dT%H%M%S")
    return re.sub(r"[^\w.-]", "_", str(label))


def _write_one(
    cube: xr.DataArray, path: Path, options: dict, client: Any, tags: dict[str, str | None] | None = None
) -> Path:
    cube = as_bands_yx(cube, "GTiff")
    values, nodata = storable(compute(cube, client).values)
    compression = str(options.get("compression") or "deflate").lower()
    profile = {
        "driver": "COG",
        "width": cube.sizes["x"],
        "height": cube.sizes["y"],
        "count": cube.sizes["bands"],
        "dtype": values.dtype,
        "crs": cube.rio.crs,
        "transform": geotransform(cube),
        "nodata": nodata,
        "blocksize": int(options.get("tile_size") or 512),
        "compress": compression,
        "overviews": "auto",
        "bigtiff": "if_safer",
        "num_threads": "all_cpus",  # tiles are compressed in parallel: otherwise the write is single-threaded
    }
    if compression != "none":
        profile["predictor"] = "yes"  # differencing first helps deflate/lzw/zstd on smooth rasters
    with rasterio.open(path, "w", **profile) as target:
        target.write(values)
        for index, name in enumerate(band_names(cube), start=1):
            target.set_band_description(index, name)
        target.update_tags(**{key: value for key, value in (tags or {}).items() if value})
    return path


FORMAT = OutputFormat(
    name="GTiff",
    title="GeoTIFF (cloud-optimised)",
    description=(
        "Tiled, compressed GeoTIFF with overviews; band names as band descriptions, NaN as nodata. "
        "When dates remain, a batch job writes one file per date (each an item of the job's STAC "
        "results), while a synchronous request returns one GeoTIFF whose bands are each date's bands in "
        "turn, described like `2022-06-01/B04` (netCDF keeps time as a dimension)."
    ),
    gis_data_types=("raster",),
    parameters={
        "tile_size": {
            "type": "integer",
            "description": "Edge of the internal square tiles, in pixels (a multiple of 16).",
            "default": 512,
            "minimum": 16,
            "maximum": MAX_TILE_SIZE,
            "multipleOf": 16,
        },
        "compression": {
            "type": "string",
            "description": "Lossless compression of the tiles.",
            "enum": ["deflate", "lzw", "zstd", "none"],
            "default": "deflate",
        },
    },
    media_type="image/tiff; application=geotiff; profile=cloud-optimized",
    suffix=".tif",
    write=write_gtiff,
    write_single=write_gtiff_single,
)
