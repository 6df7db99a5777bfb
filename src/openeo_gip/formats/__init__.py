"""File formats: what ``GET /file_formats`` announces, and (in the modules here) how each is written."""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from openeo_gip.errors import ApiError
from openeo_gip.formats.record import InputFormat, OutputFormat
from openeo_gip.model.values import SaveRequest
from openeo_gip.model.vectors import is_vector_cube

INPUT_FORMATS = {
    record.name: record
    for record in (
        InputFormat("GTiff", "GeoTIFF", "GeoTIFF and cloud-optimised GeoTIFF rasters.", ("raster",)),
        InputFormat("netCDF", "netCDF", "netCDF-3 and netCDF-4 (CF) rasters.", ("raster",)),
        InputFormat(
            "GeoJSON",
            "GeoJSON",
            "Features with polygons, lines or points; read as a vector data cube.",
            ("vector",),
        ),
    )
}


@functools.cache
def output_formats() -> dict[str, OutputFormat]:
    """Every output format, by name, as its writer module declares it."""
    # The writer modules import heavy libraries (rasterio, geopandas, zarr): only when first needed.
    from openeo_gip.formats import gtiff, json_format, netcdf, png, vector, zarr_format

    declared = (
        gtiff.FORMAT,
        netcdf.FORMAT,
        json_format.FORMAT,
        png.FORMAT,
        zarr_format.FORMAT,
        *vector.FORMATS,
    )
    return {record.name: record for record in declared}


def file_formats() -> dict:
    """The document of ``GET /file_formats``."""
    return {
        "input": {name: record.document() for name, record in INPUT_FORMATS.items()},
        "output": {name: record.document() for name, record in output_formats().items()},
    }


def find_input_format(name: Any, options: Any, process: str) -> str:
    """The input format called ``name`` (any letter case) as /file_formats spells it, after checking that
    ``options`` are its own; errors name ``process``."""
    known = next(
        (known for known in INPUT_FORMATS if isinstance(name, str) and known.lower() == name.lower()), None
    )
    if known is None:
        raise ApiError(
            "FormatUnsuitable",
            f"{process} cannot read the format {name!r}; use one of {', '.join(INPUT_FORMATS)}.",
            status=400,
        )
    if options is not None and not isinstance(options, dict):
        raise ApiError(
            "ProcessParameterInvalid", process=process, parameter="options", reason="an object is expected"
        )
    unknown = sorted(set(options or {}) - set(INPUT_FORMATS[known].parameters))
    if unknown:
        reason = f"{known} has no option {', '.join(unknown)}"
        raise ApiError("ProcessParameterInvalid", process=process, parameter="options", reason=reason)
    return known


def unsuitable(what: str, format_name: str, reason: Any) -> ApiError:
    """``what`` (a file or address) cannot be read as the format the graph names."""
    return ApiError("FormatUnsuitable", f"{what} cannot be read as {format_name}: {reason}", status=400)


def find_output_format(name: str) -> OutputFormat:
    """The output format called ``name`` (any letter case)."""
    known = output_formats()
    for record in known.values():
        if isinstance(name, str) and record.name.lower() == name.lower():
            return record
    raise ApiError(
        "FormatUnsupported",
        f"Output format '{name}' is not supported; use one of {', '.join(known)}.",
        status=400,
    )


def check_options(record: OutputFormat, options: dict, process: str) -> None:
    """``ProcessParameterInvalid`` unless every option is one of the format's and matches the schema
    ``/file_formats`` publishes for it, bounds included: the writers (and GDAL) get only checked values."""
    unknown = sorted(set(options) - set(record.parameters))
    if unknown:
        raise _invalid_options(process, f"{record.name} has no option {', '.join(unknown)}")
    for name, value in options.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise _invalid_options(process, f"{name} must be a finite number")
        error = best_match(Draft7Validator(record.parameters[name]).iter_errors(value))
        if error is not None:
            raise _invalid_options(process, f"{name}: {error.message}")


def _invalid_options(process: str, reason: str) -> ApiError:
    return ApiError("ProcessParameterInvalid", process=process, parameter="options", reason=reason)


def write_result(
    request: SaveRequest, folder: Path, *, client: Any = None, single_file: bool = False
) -> list[Path]:
    """Compute ``request.data`` (on ``client`` when given) and write it to files in ``folder``; in one
    file where the format can hold the whole cube in one when ``single_file``."""
    record = find_output_format(request.format)
    write = record.write_vector if record.write_vector and is_vector_cube(request.data) else record.write
    if single_file and record.write_single and write is record.write:
        write = record.write_single
    folder.mkdir(parents=True, exist_ok=True)
    return write(request.data, folder, dict(request.options or {}), client)


def media_type(format_name: str) -> str:
    """Content-Type of a file written in ``format_name``."""
    return find_output_format(format_name).media_type


def media_type_of(path: Path) -> str:
    """Content-Type of a file one of the output formats wrote, told by its name."""
    for record in output_formats().values():
        if path.name.lower().endswith(record.suffix):
            return record.media_type
    return "application/octet-stream"
