"""What a written result file is, for the STAC document: media type, size, projection, bands and dates.

Read once when the job finishes and stored with the job, so listing results never reopens the files. Dates
come from what the writers recorded: the ``datetime`` tag of a GeoTIFF of one date, the time coordinate of
a netCDF file. A raster result also gets a small PNG thumbnail (jobs/thumbnails.py).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from rasterio.warp import transform_bounds

from openeo_gip.formats import media_type_of
from openeo_gip.jobs.thumbnails import write_thumbnail
from openeo_gip.model.dates import rfc3339
from openeo_gip.raster.gdal_open import open_raster

log = logging.getLogger(__name__)

THUMBNAIL_ROLE = "thumbnail"


def describe_results(paths: list[Path], folder: Path) -> list[dict[str, Any]]:
    """The entries of a job's written ``paths`` (inside ``folder``), then one for the thumbnail of each
    raster among them; a data entry names its thumbnail's file under ``thumbnail``."""
    entries = [describe(path, folder) for path in paths]
    thumbnails = []
    for entry, path in zip(entries, paths, strict=True):
        if "proj:shape" not in entry:
            continue
        try:
            thumbnail = write_thumbnail(path)
        except Exception:  # a thumbnail is a courtesy: the result stands without it
            log.warning("no thumbnail for %s", path, exc_info=True)
            continue
        if thumbnail is not None:
            described = describe(thumbnail, folder) | {"roles": [THUMBNAIL_ROLE]}
            entry["thumbnail"] = described["file"]
            thumbnails.append(described)
    return entries + thumbnails


def describe(path: Path, folder: Path) -> dict[str, Any]:
    """The asset entry of ``path`` (inside the job folder ``folder``), without its ``href``."""
    asset: dict[str, Any] = {
        "file": path.relative_to(folder).as_posix(),
        "type": media_type_of(path),
        "roles": ["data"],
        "file:size": path.stat().st_size,
    }
    if path.suffix.lower() in (".tif", ".tiff", ".nc"):
        try:
            asset.update(_netcdf_metadata(path) if path.suffix.lower() == ".nc" else _raster_metadata(path))
        except Exception:  # metadata is a courtesy: a file rasterio cannot describe is still a result
            log.warning("no raster metadata for %s", path, exc_info=True)
    return asset


def _raster_metadata(path: Path) -> dict[str, Any]:
    with open_raster(path) as source:
        metadata: dict[str, Any] = {
            "proj:shape": [source.height, source.width],
            "raster:bands": [
                _band(source.descriptions[i] or f"band_{i + 1}", dtype, source.nodata)
                for i, dtype in enumerate(source.dtypes)
            ],
        }
        if source.crs is not None:
            metadata |= _grid(source.crs, source.transform, source.bounds)
        metadata |= _dates(source.tags())
    return metadata


def _netcdf_metadata(path: Path) -> dict[str, Any]:
    """A netCDF file the way the netCDF writer lays a cube out: the gridded variables are the bands, the
    time coordinate ``t`` (if any) spans the file's dates. Read with xarray: GDAL would show the dates as
    bands."""
    with xr.open_dataset(path, decode_coords="all") as dataset:
        gridded = [name for name, var in dataset.data_vars.items() if {"x", "y"} <= set(var.dims)]
        if not gridded:
            return {}  # a vector cube
        metadata: dict[str, Any] = {
            "proj:shape": [dataset.sizes["y"], dataset.sizes["x"]],
            "raster:bands": [
                _band(str(name), dataset[name].dtype.name, _fill_value(dataset[name])) for name in gridded
            ],
        }
        first = dataset[gridded[0]]
        if first.rio.crs is not None:
            metadata |= _grid(first.rio.crs, first.rio.transform(recalc=True), first.rio.bounds(recalc=True))
        if "t" in dataset.coords and np.issubdtype(dataset["t"].dtype, np.datetime64) and dataset.sizes["t"]:
            start, end = dataset["t"].values.min(), dataset["t"].values.max()
            metadata |= _dates({"start_datetime": rfc3339(start), "end_datetime": rfc3339(end)})
    return metadata


def _fill_value(var: xr.DataArray) -> float | None:
    if np.issubdtype(var.dtype, np.floating):
        return float("nan")  # the netCDF writer stores nodata as NaN
    value = var.encoding.get("_FillValue")
    return None if value is None else float(value)


def _band(name: str, data_type: str, nodata: float | None) -> dict[str, Any]:
    band: dict[str, Any] = {"name": name, "data_type": data_type}
    if nodata is not None:
        band["nodata"] = "nan" if nodata != nodata else nodata
    return band


def _grid(crs, transform, bounds) -> dict[str, Any]:
    epsg = crs.to_epsg()
    grid: dict[str, Any] = {"proj:code": f"EPSG:{epsg}" if epsg else None}
    if epsg is None:
        grid["proj:wkt2"] = crs.to_wkt()
    grid["proj:transform"] = list(transform)[:6]
    grid["proj:bbox"] = list(bounds)
    grid["bbox"] = list(transform_bounds(crs, "EPSG:4326", *bounds))
    return grid


def _dates(tags: dict[str, str]) -> dict[str, str]:
    """The date of a file (``datetime``), or the first and last of its dates when it holds several."""
    if tags.get("datetime"):
        return {"datetime": rfc3339(tags["datetime"])}
    if tags.get("start_datetime") and tags.get("end_datetime"):
        start, end = rfc3339(tags["start_datetime"]), rfc3339(tags["end_datetime"])
        return {"datetime": start} if start == end else {"start_datetime": start, "end_datetime": end}
    return {}
