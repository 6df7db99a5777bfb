"""File formats: what ``GET /file_formats`` announces, and (in the modules here) how each is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openeo_gip.errors import ApiError
from openeo_gip.model.values import SaveRequest

_RASTER = ["raster"]
_VECTOR = ["vector"]

_GTIFF_OPTIONS = {
    "tile_size": {
        "type": "integer",
        "description": "Edge of the internal square tiles, in pixels.",
        "default": 512,
        "minimum": 16,
    },
    "compression": {
        "type": "string",
        "description": "Lossless compression of the tiles.",
        "enum": ["deflate", "lzw", "zstd", "none"],
        "default": "deflate",
    },
}

OUTPUT_FORMATS = {
    "GTiff": {
        "title": "GeoTIFF (cloud-optimised)",
        "description": (
            "Tiled, compressed GeoTIFF with overviews; one file per date when time remains, "
            "band names as band descriptions, NaN as nodata."
        ),
        "gis_data_types": _RASTER,
        "parameters": _GTIFF_OPTIONS,
    },
    "netCDF": {
        "title": "netCDF-4 (CF)",
        "description": (
            "One file holding the whole cube following CF: one variable per band, the CRS as grid mapping, "
            "time as CF time coordinate."
        ),
        "gis_data_types": ["raster", "vector"],
        "parameters": {},
    },
    "JSON": {
        "title": "JSON",
        "description": "Plain values, or a cube as nested arrays with its dimension labels.",
        "gis_data_types": ["raster", "vector", "table", "other"],
        "parameters": {},
    },
    "PNG": {
        "title": "PNG image",
        "description": (
            "8-bit picture: one band in grey, three bands as red, green and blue; nodata is transparent. "
            "Values are mapped from scale_min..scale_max to 0..255; without them, values already within "
            "0..255 are kept and others are stretched from their minimum to their maximum."
        ),
        "gis_data_types": _RASTER,
        "parameters": {
            "scale_min": {"type": "number", "description": "Value shown as 0 (black).", "default": None},
            "scale_max": {"type": "number", "description": "Value shown as 255 (white).", "default": None},
        },
    },
    "Zarr": {
        "title": "Zarr (zipped store)",
        "description": (
            "The whole cube with all its dimensions in one zipped Zarr store (one array, CRS as grid "
            "mapping); open it with xarray.open_zarr(zarr.storage.ZipStore(path, mode='r'))."
        ),
        "gis_data_types": _RASTER,
        "parameters": {
            "zarr_format": {
                "type": "integer",
                "description": "Version of the Zarr format.",
                "enum": [2, 3],
                "default": 2,
            }
        },
    },
    "GeoJSON": {
        "title": "GeoJSON",
        "description": (
            "A vector data cube as a FeatureCollection in WGS 84: one feature per geometry with its "
            "properties and one property per label combination of the other dimensions (joined by ~)."
        ),
        "gis_data_types": _VECTOR,
        "parameters": {},
    },
    "CSV": {
        "title": "CSV table",
        "description": (
            "A vector data cube as a long table: one row per geometry (feature_index, its properties) "
            "and label combination of the other dimensions, with the column value."
        ),
        "gis_data_types": _VECTOR,
        "parameters": {},
    },
    "GeoParquet": {
        "title": "GeoParquet",
        "description": "A vector data cube with the columns of the GeoJSON output, geometries in their CRS.",
        "gis_data_types": _VECTOR,
        "parameters": {},
    },
}

INPUT_FORMATS = {
    "GTiff": {
        "title": "GeoTIFF",
        "description": "GeoTIFF and cloud-optimised GeoTIFF rasters.",
        "gis_data_types": _RASTER,
        "parameters": {},
    },
    "netCDF": {
        "title": "netCDF",
        "description": "netCDF-3 and netCDF-4 (CF) rasters.",
        "gis_data_types": _RASTER,
        "parameters": {},
    },
    "GeoJSON": {
        "title": "GeoJSON",
        "description": "Features with polygons, lines or points; read as a vector data cube.",
        "gis_data_types": _VECTOR,
        "parameters": {},
    },
}


def file_formats() -> dict:
    return {"input": INPUT_FORMATS, "output": OUTPUT_FORMATS}


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
    unknown = sorted(set(options or {}) - set(INPUT_FORMATS[known]["parameters"]))
    if unknown:
        reason = f"{known} has no option {', '.join(unknown)}"
        raise ApiError("ProcessParameterInvalid", process=process, parameter="options", reason=reason)
    return known


def unsuitable(what: str, format_name: str, reason: Any) -> ApiError:
    """``what`` (a file or address) cannot be read as the format the graph names."""
    return ApiError("FormatUnsuitable", f"{what} cannot be read as {format_name}: {reason}", status=400)


def find_output_format(name: str) -> str:
    """The output format called ``name`` (any letter case), spelled as /file_formats lists it."""
    for known in OUTPUT_FORMATS:
        if isinstance(name, str) and known.lower() == name.lower():
            return known
    raise ApiError(
        "FormatUnsupported",
        f"Output format '{name}' is not supported; use one of {', '.join(OUTPUT_FORMATS)}.",
        status=400,
    )


def write_result(request: SaveRequest, folder: Path, *, client: Any = None) -> list[Path]:
    """Compute ``request.data`` (on ``client`` when given) and write it to files in ``folder``."""
    from openeo_gip.formats.gtiff import write_gtiff
    from openeo_gip.formats.json_format import write_json
    from openeo_gip.formats.netcdf import write_netcdf
    from openeo_gip.formats.png import write_png
    from openeo_gip.formats.vector import write_csv, write_geojson, write_geoparquet, write_vector_netcdf
    from openeo_gip.formats.zarr_format import write_zarr
    from openeo_gip.processes.vector.common import is_vector_cube

    writers = {
        "GTiff": write_gtiff,
        "netCDF": write_netcdf,
        "JSON": write_json,
        "PNG": write_png,
        "Zarr": write_zarr,
        "GeoJSON": write_geojson,
        "CSV": write_csv,
        "GeoParquet": write_geoparquet,
    }
    if is_vector_cube(request.data):  # the same format names, written the vector way
        writers |= {"netCDF": write_vector_netcdf, "JSON": write_geojson}
    name = find_output_format(request.format)
    folder.mkdir(parents=True, exist_ok=True)
    return writers[name](request.data, folder, dict(request.options or {}), client)


MEDIA_TYPES = {
    "GTiff": "image/tiff; application=geotiff; profile=cloud-optimized",
    "netCDF": "application/x-netcdf",
    "JSON": "application/json",
    "PNG": "image/png",
    "Zarr": "application/zip",
    "GeoJSON": "application/geo+json",
    "CSV": "text/csv",
    "GeoParquet": "application/vnd.apache.parquet",
}


def media_type(format_name: str) -> str:
    """Content-Type of a file written in ``format_name``."""
    return MEDIA_TYPES[find_output_format(format_name)]
