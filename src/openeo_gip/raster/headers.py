"""Reading raster headers (never pixels) with rasterio/GDAL: grid, bands, tiles, nodata, scale, time tags.

netCDF and Zarr files are opened per variable through GDAL's drivers, so the reader can treat every source
the same way; only their time coordinates are decoded with xarray (which reads the coordinate, not the data).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import xarray as xr
from rasterio.crs import CRS

from openeo_gip.model.dates import rfc3339
from openeo_gip.raster.gdal_open import open_raster
from openeo_gip.raster.netcdf_guard import open_self_contained
from openeo_gip.raster.records import Asset, Grid, crs_string

log = logging.getLogger(__name__)

RASTER_SUFFIXES = {".tif", ".tiff", ".nc", ".nc4", ".zarr"}
MULTIDIM_SUFFIXES = {".nc", ".nc4", ".zarr"}
# The first bytes of the raster files users may bring: TIFF/BigTIFF in both byte orders; netCDF-3 and
# netCDF-4 (HDF5). What a file's name promises is checked against them before GDAL sees the file.
SIGNATURES = {
    "GTiff": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    "netCDF": (b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF\r\n\x1a\n"),
}
# GeoTIFF metadata items that become STAC item properties.
PROPERTY_TAGS = {
    "CLOUD_COVER": "eo:cloud_cover",
    "CLOUDY_PIXEL_PERCENTAGE": "eo:cloud_cover",
    "PLATFORM": "platform",
    "INSTRUMENT": "instruments",
}


@dataclass
class BandHeader:
    """One layer found in a file: its name (when the file says), its time (when known) and how to read it."""

    asset: Asset
    name: str | None
    datetime: str | None
    properties: dict = field(default_factory=dict)


def has_signature(path: Path, format_name: str) -> bool:
    """Whether the file starts like a file of that format (one of ``SIGNATURES``)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    return head.startswith(SIGNATURES[format_name])


def is_raster(path: Path) -> bool:
    return path.suffix.lower() in RASTER_SUFFIXES and not path.name.startswith(".")


def read_headers(path: Path | str, crs: str | None = None) -> list[BandHeader]:
    """All layers of a raster file (a path, or an http(s) URL of a GeoTIFF); raises when GDAL cannot
    open it. ``crs`` (a sidecar's) is the files' CRS whatever they say."""
    if isinstance(path, Path) and path.suffix.lower() in MULTIDIM_SUFFIXES:
        return _multidim_headers(path, crs)
    with open_raster(path) as src:
        tags = src.tags()
        when = _tag_datetime(tags)
        properties = _tag_properties(tags)
        return [
            BandHeader(asset, src.descriptions[i - 1] or None, when, properties)
            for i, asset in enumerate(_assets(src, str(path), crs), start=1)
        ]


def _assets(src, href: str, crs: str | None = None, fallback: str | None = None) -> list[Asset]:
    """The layers of an open file; its CRS is ``crs`` if given, else the file's own, else ``fallback``."""
    crs = crs or (crs_string(src.crs) if src.crs is not None else fallback)
    if crs is None:
        raise ValueError(
            f'{href} has no coordinate reference system: give it one with `crs = "EPSG:<code>"` in the '
            "collection's sidecar file (collection.toml, or NAME.toml beside a single file), or write a CF "
            "grid_mapping variable into the file"
        )
    grid = Grid(crs, list(src.transform)[:6], src.width, src.height)
    assets = []
    for i in range(1, src.count + 1):
        block = src.block_shapes[i - 1]
        assets.append(
            Asset(
                href=href,
                index=i,
                grid=grid,
                block=(int(block[0]), int(block[1])),
                dtype=src.dtypes[i - 1],
                nodata=_number(src.nodatavals[i - 1]),
                scale=float(src.scales[i - 1] or 1.0),
                offset=float(src.offsets[i - 1] or 0.0),
            )
        )
    return assets


def _number(value) -> float | None:
    return None if value is None else float(value)


def _multidim_headers(path: Path, crs: str | None) -> list[BandHeader]:
    """netCDF/Zarr: one band per data variable on a 2-D grid; GDAL band i is time step i. A variable on
    latitude and longitude in degrees without a grid mapping (as ERA5, CHIRPS, CMIP) is on WGS 84."""
    engine = "zarr" if path.suffix.lower() == ".zarr" else None
    opener = partial(xr.open_dataset, engine=engine, decode_times=True, chunks=None)
    opened = opener(path) if engine == "zarr" else open_self_contained(str(path), opener)
    with opened as ds:
        variables = [name for name, var in ds.data_vars.items() if _is_gridded(var)]
        times = {name: _time_values(ds[name]) for name in variables}
        fallbacks = {name: "EPSG:4326" if _in_degrees(ds[name]) else None for name in variables}
    prefix = "ZARR" if engine == "zarr" else "NETCDF"
    headers = []
    for name in variables:
        href = f'{prefix}:"{path}":{"/" if engine == "zarr" else ""}{name}'
        with open_raster(href) as src:
            assets = _assets(src, href, crs, fallbacks[name])
        steps = times[name]
        if steps and len(steps) != len(assets):
            raise ValueError(f"{path}: variable {name} has {len(steps)} times but {len(assets)} layers")
        for i, asset in enumerate(assets):
            headers.append(BandHeader(asset, name, steps[i] if steps else None))
    return headers


_Y_NAMES = {"y", "lat", "latitude", "rlat"}
_X_NAMES = {"x", "lon", "longitude", "rlon"}


def _is_gridded(var: xr.DataArray) -> bool:
    """A variable on the raster grid (its last two dimensions are y and x), not bounds or a CRS."""
    return var.ndim >= 2 and var.dims[-2] in _Y_NAMES and var.dims[-1] in _X_NAMES


def _in_degrees(var: xr.DataArray) -> bool:
    """Whether the variable's grid is latitude and longitude in degrees (CF units degrees_north/east)."""
    y, x = var.dims[-2], var.dims[-1]
    if y not in ("lat", "latitude") or x not in ("lon", "longitude"):
        return False
    units = [str(var[dim].attrs.get("units", "")).lower() for dim in (y, x) if dim in var.coords]
    return len(units) == 2 and all(unit.startswith("degree") for unit in units)


def valid_crs(text: str) -> str:
    """``text`` as the CRS string the catalogue stores; ``ValueError`` when it names no CRS."""
    try:
        return crs_string(CRS.from_user_input(text))
    except Exception as exc:  # rasterio raises CRSError, or pyproj's errors, depending on the input
        raise ValueError(f"{text!r} is not a coordinate reference system ({exc})") from None


def _time_values(var: xr.DataArray) -> list[str]:
    time_dims = [dim for dim in var.dims if dim in ("time", "t")]
    if not time_dims:
        return []
    values = var[time_dims[0]].values
    return [rfc3339(value) for value in values]


def _tag_datetime(tags: dict[str, str]) -> str | None:
    for key in ("datetime", "DATETIME", "TIFFTAG_DATETIME", "ACQUISITION_DATE"):
        raw = tags.get(key)
        if not raw:
            continue
        for fmt in ("%Y:%m:%d %H:%M:%S", None):
            try:
                if fmt:
                    stamp = dt.datetime.strptime(raw.strip(), fmt)
                else:
                    stamp = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
                return rfc3339(stamp)
            except ValueError:
                continue
        log.warning("ignoring unreadable time tag %s=%r", key, raw)
    return None


def _tag_properties(tags: dict[str, str]) -> dict:
    properties = {}
    for tag, name in PROPERTY_TAGS.items():
        if tag in tags:
            raw = tags[tag]
            try:
                properties[name] = float(raw)
            except ValueError:
                properties[name] = [raw] if name == "instruments" else raw
    return properties
