"""A small PNG preview of a raster result, for the ``thumbnail`` asset of its STAC item.

Made from the first band (grey) or the first three (red, green, blue), of the first date in a netCDF
file, stretched from minimum to maximum like the PNG output format, nodata transparent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from rasterio.enums import Resampling

from openeo_gip.formats.png import to_bytes
from openeo_gip.raster.gdal_open import open_raster
from openeo_gip.services.render import png

MAX_EDGE = 256  # pixels of the longer side


def thumbnail_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.thumbnail.png")


def write_thumbnail(path: Path) -> Path | None:
    """Write the thumbnail of the raster ``path`` beside it; ``None`` when it has no picture to show."""
    values = _netcdf_values(path) if path.suffix.lower() == ".nc" else _geotiff_values(path)
    if values is None:
        return None
    pixels, opaque = to_bytes(values, None, None)
    target = thumbnail_path(path)
    target.write_bytes(png(np.concatenate([pixels, opaque[np.newaxis]], axis=0)))
    return target


def _shown_bands(count: int) -> int:
    return 3 if count >= 3 else 1


def thumbnail_shape(height: int, width: int) -> tuple[int, int]:
    """The thumbnail's (height, width): the raster's, shrunk until the longer side is at most MAX_EDGE."""
    scale = min(1.0, MAX_EDGE / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def _geotiff_values(path: Path) -> np.ndarray | None:
    with open_raster(path) as source:
        if not source.count:
            return None
        indexes = list(range(1, _shown_bands(source.count) + 1))
        # Read at the thumbnail's size: GDAL takes the overviews of a COG, so little is read.
        shape = (len(indexes), *thumbnail_shape(source.height, source.width))
        values = source.read(indexes, out_shape=shape, masked=True, resampling=Resampling.average)
    return np.ma.filled(values.astype(np.float64), np.nan)


def _netcdf_values(path: Path) -> np.ndarray | None:
    with xr.open_dataset(path) as dataset:
        gridded = [name for name, var in dataset.data_vars.items() if {"x", "y"} <= set(var.dims)]
        if not gridded:
            return None
        height, width = thumbnail_shape(dataset.sizes["y"], dataset.sizes["x"])
        # Every n-th pixel of the first date (of other dimensions, the first label): a preview.
        steps = {"y": slice(None, None, -(-dataset.sizes["y"] // height))}
        steps["x"] = slice(None, None, -(-dataset.sizes["x"] // width))
        layers = []
        for name in gridded[: _shown_bands(len(gridded))]:
            var = dataset[name]
            var = var.isel({dim: 0 for dim in var.dims if dim not in ("x", "y")}).isel(steps)
            layers.append(var.transpose("y", "x").values)
        return np.stack(layers).astype(np.float64)
