"""File formats: what ``GET /file_formats`` announces, and (in the modules here) how each is written."""

from __future__ import annotations

_RASTER = ["raster"]

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
        "description": "Tiled, compressed GeoTIFF with overviews; one file per date when time remains.",
        "gis_data_types": _RASTER,
        "parameters": _GTIFF_OPTIONS,
    },
    "netCDF": {
        "title": "netCDF-4 (CF)",
        "description": "One file holding the whole cube, with CRS and time coordinates following CF.",
        "gis_data_types": _RASTER,
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
        "description": "8-bit picture: one band in grey, three bands as red, green and blue.",
        "gis_data_types": _RASTER,
        "parameters": {
            "scale_min": {"type": "number", "description": "Value shown as 0 (black).", "default": None},
            "scale_max": {"type": "number", "description": "Value shown as 255 (white).", "default": None},
        },
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
}


def file_formats() -> dict:
    return {"input": INPUT_FORMATS, "output": OUTPUT_FORMATS}
