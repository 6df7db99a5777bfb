"""PNG output: an 8-bit picture, grey from one band or red/green/blue from three, transparent nodata.

Values are mapped linearly from ``scale_min``..``scale_max`` to 0..255. Without these options, values
already within 0..255 are written as they are, anything else is stretched from its minimum to maximum.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import xarray as xr

from openeo_gip.formats.raster_layout import as_bands_yx, compute, geotransform, time_dimension, unsuitable
from openeo_gip.formats.record import OutputFormat


def write_png(data: Any, folder: Path, options: dict, client: Any = None) -> list[Path]:
    if not isinstance(data, xr.DataArray):
        raise unsuitable("PNG stores raster data cubes only.")
    time = time_dimension(data)
    if time is not None:
        if data.sizes[time] != 1:
            raise unsuitable("PNG holds one picture: reduce the temporal dimension first.")
        data = data.isel({time: 0}, drop=True)
    cube = as_bands_yx(data, "PNG")
    if cube.sizes["bands"] not in (1, 3):
        raise unsuitable(f"PNG needs one band (grey) or three (red, green, blue), not {cube.sizes['bands']}.")
    values = np.asarray(compute(cube, client).values, dtype=np.float64)
    pixels, opaque = to_bytes(values, options.get("scale_min"), options.get("scale_max"))
    bands = np.concatenate([pixels, opaque[np.newaxis]], axis=0)
    path = folder / "result.png"
    profile = {"driver": "PNG", "width": cube.sizes["x"], "height": cube.sizes["y"], "count": len(bands)}
    crs = cube.rio.crs
    if crs is not None:  # GDAL keeps the georeference in a side-car .aux.xml, which we do not ship
        profile.update(crs=crs, transform=geotransform(cube))
    with rasterio.open(path, "w", dtype="uint8", **profile) as target:
        target.write(bands)
    for extra in folder.glob("result.png.aux.xml"):
        extra.unlink()
    return [path]


def to_bytes(values: np.ndarray, low: float | None, high: float | None) -> tuple[np.ndarray, np.ndarray]:
    """8-bit pixels and an alpha layer (0 where any band is nodata) from float values."""
    valid = np.isfinite(values)
    opaque = np.where(valid.all(axis=0), 255, 0).astype(np.uint8)
    if low is None or high is None:
        finite = values[valid]
        data_low, data_high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 255.0)
        within_bytes = data_low >= 0 and data_high <= 255
        low = (0.0 if within_bytes else data_low) if low is None else low
        high = (255.0 if within_bytes else data_high) if high is None else high
    span = float(high) - float(low)
    scaled = (values - float(low)) * (255.0 / span) if span else np.zeros_like(values)
    pixels = np.clip(np.rint(np.nan_to_num(scaled, nan=0.0)), 0, 255).astype(np.uint8)
    return pixels, opaque


FORMAT = OutputFormat(
    name="PNG",
    title="PNG image",
    description=(
        "8-bit picture: one band in grey, three bands as red, green and blue; nodata is transparent. "
        "Values are mapped from scale_min..scale_max to 0..255; without them, values already within "
        "0..255 are kept and others are stretched from their minimum to their maximum."
    ),
    gis_data_types=("raster",),
    parameters={
        # null (the default): chosen from the data, as the format's description says
        "scale_min": {
            "type": ["number", "null"],
            "description": "Value shown as 0 (black).",
            "default": None,
        },
        "scale_max": {
            "type": ["number", "null"],
            "description": "Value shown as 255 (white).",
            "default": None,
        },
    },
    media_type="image/png",
    suffix=".png",
    write=write_png,
)
