"""load_url: a file on the web as a data cube (input formats of ``GET /file_formats``).

GeoTIFF is read lazily where it lies (GDAL's http range reads, ideal for COGs); netCDF is downloaded once
into the shared system folder (GDAL cannot read it over http) and then read the same way; GeoJSON becomes a
vector cube as with ``load_geojson``. Only http(s) addresses, and only public ones unless the operator
allows private ones (``remote.fetch.check_address``): files on this server are loaded with ``load_stac`` or
``load_uploaded_files``, which confine paths to the allowed folders.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

import xarray as xr

from openeo_gip.catalog.naming import NamePattern
from openeo_gip.catalog.scan import ScanError, raster_record
from openeo_gip.catalog.sidecar import Sidecar
from openeo_gip.errors import ApiError
from openeo_gip.formats import find_input_format, unsuitable
from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.load.collection import cube_from_record
from openeo_gip.processes.load.job_results import JobResults, UnusableResults
from openeo_gip.processes.registry import process
from openeo_gip.processes.vector.operations import load_geojson
from openeo_gip.raster.grid import common_grid
from openeo_gip.raster.headers import read_headers
from openeo_gip.raster.records import BandInfo, CollectionRecord, Item
from openeo_gip.remote.fetch import (
    AddressCheck,
    address_check,
    download,
    fetch_bytes,
    is_http,
    request,
    well_formed,
)


@process()
def load_url(url: str, format: str, options: dict | None = None, *, ctx: ProcessContext) -> xr.DataArray:

    if isinstance(url, str) and not well_formed(url):
        raise _failure(f"{url} is not a valid address")
    if not isinstance(url, str) or not is_http(url):
        raise invalid("load_url", "url", "only http(s) addresses; files on this server: use load_stac")
    name = find_input_format(format, options, "load_url")
    local = _own_result_file(url, ctx)  # one of this server's own signed result links
    check = address_check(_failure, ctx.services.config.remote.allow_private_addresses)
    if name == "GeoJSON":
        try:
            document = json.loads(local.read_bytes() if local else fetch_bytes(url, _failure, check))
        except ValueError:
            raise unsuitable(url, name, "not JSON") from None
        return load_geojson(document)
    if name == "GTiff" and local is None:
        record = _remote_raster_record(url, check)
    else:
        if local is None:  # netCDF: GDAL cannot read it over http, so it is downloaded first
            folder = Path(ctx.services.config.paths.system_files) / "downloads"
            local = download(url, folder, ".nc", _failure, check)
        try:
            record = raster_record(_file_id(url), "file", local, [local], Sidecar())
        except (ScanError, ValueError, OSError) as exc:
            raise unsuitable(url, name, str(exc)) from None
    return cube_from_record(record, None, None, None, None, process_id="load_url", what=url, ctx=ctx)


def _own_result_file(url: str, ctx: ProcessContext) -> Path | None:
    """The file on disk when ``url`` is a signed download link of this server's job results."""
    results: JobResults = ctx.services.job_results
    try:
        return results.file_of_url(url)
    except UnusableResults as exc:
        raise invalid("load_url", "url", str(exc)) from None


def _remote_raster_record(url: str, check: AddressCheck) -> CollectionRecord:
    """One GeoTIFF read where it lies: its bands (named by their descriptions), its time (a date in the
    file name or a time tag), as the catalogue describes a single file."""
    _check_reachable(url, check)
    try:
        headers = read_headers(url)
    except Exception as exc:  # GDAL's errors: not a raster, or a raster without CRS
        raise unsuitable(url, "GTiff", str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    stem = PurePosixPath(urlparse(url).path).stem
    when = NamePattern().parse(stem).datetime or (headers[0].datetime if headers else None)
    item = Item(when)
    bands: list[BandInfo] = []
    for header in headers:
        name = header.name or f"band{header.asset.index}"
        if name in item.assets:  # two bands with one description: keep both, by number
            name = f"{name}_{header.asset.index}"
        item.assets[name] = [header.asset]
        item.properties.update(header.properties)
        bands.append(BandInfo(name))
    return CollectionRecord(
        id=_file_id(url),
        kind="file",
        source=url,
        grid=common_grid([header.asset for header in headers]),
        bands=bands,
        items=[item],
    )


def _check_reachable(url: str, check: AddressCheck) -> None:
    """A clear error for an address that does not answer or is not public, before GDAL tries it (GDAL's
    errors are cryptic). Each redirect is checked; GDAL, which reads the file afterwards, follows
    redirects on its own."""
    with request("HEAD", url, _failure, check) as response:
        status = response.status_code
    if status in (401, 403, 404, 410) or status >= 500:
        raise _failure(f"{url} answered HTTP {status}")


def _file_id(url: str) -> str:
    return PurePosixPath(urlparse(url).path).stem or "url"


def _failure(reason: str) -> ApiError:
    return invalid("load_url", "url", reason)
