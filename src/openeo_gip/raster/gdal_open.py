"""Opening a raster to read it, always with the one GDAL driver the back-end expects for it.

Left alone, GDAL picks the driver from the file's content. Users choose the content of their workspace
files and of the files their STAC items and URLs name: a VRT (an XML file that names other files by
absolute path), saved under any name, would make the server read any raster it can reach, another user's
included. So the driver follows from how the back-end names a source, never from its content: netCDF and
Zarr variables through their subdataset strings (``NETCDF:"path":var``, ``ZARR:"path":/var``) or their
suffix, local ``.jp2`` files (of satellite products) as JPEG 2000, everything else (local paths and
http(s) URLs) only as a GeoTIFF, which covers COGs.

rasterio 1.4's ``open`` takes one driver name, not a list, which is why one is chosen here. GDAL's other
settings for reading (``GDAL_DEFAULTS``) are set here too, the one place every read goes through.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import rasterio
from rasterio.errors import RasterioIOError

from openeo_gip.raster.netcdf_guard import open_self_contained

# Seconds an address may take to answer, for GDAL's reads and the back-end's own (remote/fetch.py).
HTTP_TIMEOUT_SECONDS = 30

# GDAL's settings for every raster read, set here where every read starts; an operator's own environment
# variables win.
GDAL_DEFAULTS = {
    # GDAL would otherwise list each file's folder and open side files it finds there (``.msk``, ``.ovr``,
    # ``.aux.xml``) with whatever driver their content asks for; for remote files it is one request less.
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    # GDAL reads remote assets with libcurl; without a timeout an address that never answers would block a
    # request (or a dask worker) for good.
    "GDAL_HTTP_TIMEOUT": str(HTTP_TIMEOUT_SECONDS),
    "GDAL_HTTP_CONNECTTIMEOUT": "10",
}
for _name, _value in GDAL_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

# The only drivers rasters are ever read with: these and GTiff.
_PREFIXES = {"NETCDF": "netCDF", "ZARR": "Zarr"}
_SUFFIXES = {".nc": "netCDF", ".nc4": "netCDF", ".zarr": "Zarr"}
# JPEG 2000 (the band files of Sentinel-2 products, catalog/sentinel2.py) only from this server's folders:
# the product folders of the shared data are the one place the catalogue takes such files from.
_LOCAL_SUFFIXES = {".jp2": "JP2OpenJPEG"}


def read_driver(href: str | Path) -> str:
    """The driver a source named ``href`` is read with."""
    text = str(href)
    prefix = text.split(":", 1)[0].upper()
    if ":" in text and prefix in _PREFIXES:
        return _PREFIXES[prefix]
    suffix = PurePosixPath(text.split("?", 1)[0]).suffix.lower()
    if suffix in _LOCAL_SUFFIXES and "://" not in text:
        return _LOCAL_SUFFIXES[suffix]
    return _SUFFIXES.get(suffix, "GTiff")


def open_raster(href: str | Path, overview_level: int | None = None):
    """``rasterio.open`` for reading, with ``read_driver(href)`` only; a file of another format (a VRT
    named ``.tif``, say) raises ``RasterioIOError`` like any file GDAL cannot read. netCDF files must be
    local and hold all their data (``netcdf_guard``). ``overview_level`` opens that overview (0 the first)
    of a GeoTIFF as if it were the file."""
    driver = read_driver(href)
    if overview_level is not None and driver == "GTiff":
        return rasterio.open(href, driver=driver, overview_level=overview_level)
    if driver != "netCDF":
        return rasterio.open(href, driver=driver)
    return open_self_contained(netcdf_file(str(href)), lambda _: rasterio.open(href, driver=driver))


def open_coarser(href: str | Path, band: int, factor: float):
    """``open_raster(href)`` at its coarsest overview whose pixels are at most ``factor`` times the full
    resolution's (each axis), or at full resolution when there is none: a map tile of a low zoom level then
    reads a little of an overview instead of the whole area at full resolution."""
    if factor < 2:
        return open_raster(href)
    with open_raster(href) as full:
        fitting = [level for level, step in enumerate(full.overviews(band)) if step <= factor]
    return open_raster(href, overview_level=fitting[-1]) if fitting else open_raster(href)


def netcdf_file(href: str) -> str:
    """The file of ``NETCDF:"path":variable`` (or of a plain path)."""
    if href[:7].upper() == "NETCDF:":
        quoted, _, variable = href[7:].partition('":')
        if not (quoted.startswith('"') and variable):
            raise RasterioIOError(f"{href}: not a netCDF variable name the back-end reads")
        href = quoted[1:]
    if "://" in href:  # netCDF's own HTTP clients would bypass the checks of remote addresses
        raise RasterioIOError(f"{href}: netCDF files are read from this server's folders only")
    return href
