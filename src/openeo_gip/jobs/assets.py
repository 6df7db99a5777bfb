"""What a written result file is, for the STAC document: media type, size, projection and bands.

Read once when the job finishes and stored with the job, so listing results never reopens the files.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasterio.warp import transform_bounds

from openeo_gip.formats import media_type_of
from openeo_gip.raster.gdal_open import open_raster

log = logging.getLogger(__name__)


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
            asset.update(_raster_metadata(path))
        except Exception:  # metadata is a courtesy: a file rasterio cannot describe is still a result
            log.warning("no raster metadata for %s", path, exc_info=True)
    return asset


def _raster_metadata(path: Path) -> dict[str, Any]:
    with open_raster(path) as source:
        if not source.count and source.subdatasets:
            return _netcdf_metadata(source.subdatasets)
        return _dataset_metadata(source)


def _dataset_metadata(source, names: list[str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "proj:shape": [source.height, source.width],
        "raster:bands": [
            {"name": names[i] if names else (source.descriptions[i] or f"band_{i + 1}"), "data_type": dtype}
            | ({"nodata": _nodata(source.nodata)} if source.nodata is not None else {})
            for i, dtype in enumerate(source.dtypes)
        ],
    }
    if source.crs is not None:
        epsg = source.crs.to_epsg()
        metadata["proj:epsg"] = epsg
        if epsg is None:
            metadata["proj:wkt2"] = source.crs.to_wkt()
        metadata["proj:transform"] = list(source.transform)[:6]
        metadata["proj:bbox"] = list(source.bounds)
        metadata["bbox"] = list(transform_bounds(source.crs, "EPSG:4326", *source.bounds))
    return metadata


def _netcdf_metadata(subdatasets: list[str]) -> dict[str, Any]:
    """netCDF with one variable per band: the grid of the first band, every variable as a band."""
    names = [name.rsplit(":", 1)[-1] for name in subdatasets]
    with open_raster(subdatasets[0]) as first:
        metadata = _dataset_metadata(first)
    bands = metadata["raster:bands"][:1]
    metadata["raster:bands"] = [dict(bands[0], name=name) for name in names] if bands else []
    return metadata


def _nodata(value: float) -> float | str:
    if value != value:
        return "nan"
    return value
