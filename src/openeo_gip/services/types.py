"""The service types this server offers (``GET /service_types``) and the check of a configuration."""

from __future__ import annotations

import math
from typing import Any

from openeo_gip.errors import ApiError
from openeo_gip.services.render import RAMPS, Style
from openeo_gip.services.tiles import TILE_SIZE

# The configuration settings both types share: how values become colours.
CONFIGURATION: dict[str, dict[str, Any]] = {
    "bands": {
        "description": "The bands to draw: one (through the colour map) or three (as red, green and blue). "
        "By default a cube of three bands is drawn as red, green and blue, any other through the colour "
        "map from its first band.",
        "type": ["array", "null"],
        "items": {"type": "string"},
        "minItems": 1,
        "maxItems": 3,
        "default": None,
    },
    "colormap": {
        "description": "The colour map of a single band.",
        "type": "string",
        "enum": sorted(RAMPS),
        "default": "viridis",
    },
    "min": {
        "description": "The value drawn as the first colour (darkest for red, green and blue). By default "
        "the smallest value of each tile: set min and max for colours that agree across tiles.",
        "type": ["number", "null"],
        "default": None,
    },
    "max": {
        "description": "The value drawn as the last colour (brightest for red, green and blue). By default "
        "the largest value of each tile.",
        "type": ["number", "null"],
        "default": None,
    },
    "tile_size": {
        "description": "Width and height of a tile in pixels.",
        "type": "integer",
        "enum": [TILE_SIZE],
        "default": TILE_SIZE,
    },
}

# What a service's process may read with ``from_parameter`` (load_collection gets the tile's extent
# pushed down without it).
PROCESS_PARAMETERS = [
    {
        "name": "spatial_extent",
        "description": "The bounds of the tile being drawn, in Web Mercator (EPSG:3857).",
        "schema": {
            "type": "object",
            "subtype": "bounding-box",
            "required": ["west", "south", "east", "north"],
            "properties": {
                "west": {"type": "number"},
                "south": {"type": "number"},
                "east": {"type": "number"},
                "north": {"type": "number"},
                "crs": {"type": "integer"},
            },
        },
    },
]

SERVICE_TYPES: dict[str, dict[str, Any]] = {
    "XYZ": {
        "title": "XYZ map tiles",
        "description": "256-pixel PNG tiles in Web Mercator at {url}/{z}/{x}/{y}.png, as web maps and QGIS "
        "read them. Each tile evaluates the process for its own extent.",
        "configuration": CONFIGURATION,
        "process_parameters": PROCESS_PARAMETERS,
        "links": [
            {"href": "https://wiki.openstreetmap.org/wiki/Slippy_map_tilenames", "rel": "about"},
        ],
    },
    "WMTS": {
        "title": "OGC Web Map Tile Service",
        "description": "WMTS 1.0.0 (KVP and RESTful) with one layer in the GoogleMapsCompatible (Web "
        "Mercator) tile matrix set, drawn by the same tiles as XYZ.",
        "configuration": CONFIGURATION,
        "process_parameters": PROCESS_PARAMETERS,
        "links": [{"href": "https://www.ogc.org/standard/wmts/", "rel": "about"}],
    },
}


def service_type(name: Any) -> str:
    """The type's canonical name (types are case insensitive); ``ServiceUnsupported`` otherwise."""
    for known in SERVICE_TYPES:
        if isinstance(name, str) and name.upper() == known:
            return known
    raise ApiError("ServiceUnsupported", type=name)


def checked_configuration(configuration: Any) -> dict[str, Any]:
    """``configuration`` as given, once every setting is known and valid (``ServiceConfig*`` otherwise)."""
    if configuration is None:
        return {}
    if not isinstance(configuration, dict):
        raise ApiError("RequestBodyInvalid", reason="'configuration' must be an object")
    for name, value in configuration.items():
        if name not in CONFIGURATION:
            raise ApiError("ServiceConfigUnsupported", parameter=name)
        problem = _problem(name, value)
        if problem:
            raise ApiError("ServiceConfigInvalid", parameter=name, reason=problem)
    low, high = configuration.get("min"), configuration.get("max")
    if low is not None and high is not None and low >= high:
        raise ApiError("ServiceConfigInvalid", parameter="max", reason="max must be larger than min")
    return dict(configuration)


def _number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer of more than about 308 digits
        return False


def _problem(name: str, value: Any) -> str | None:
    if name == "bands":
        ok = value is None or (
            isinstance(value, list) and len(value) in (1, 3) and all(isinstance(b, str) for b in value)
        )
        return None if ok else "give one or three band names, or null"
    if name == "colormap":
        return None if isinstance(value, str) and value in RAMPS else f"use one of {', '.join(sorted(RAMPS))}"
    if name in ("min", "max"):
        return None if value is None or _number(value) else "a finite number or null"
    if name == "tile_size":
        return None if value == TILE_SIZE and not isinstance(value, bool) else f"only {TILE_SIZE} is offered"
    return None


def style_of(configuration: dict[str, Any]) -> Style:
    return Style(
        colormap=configuration.get("colormap") or "viridis",
        min=configuration.get("min"),
        max=configuration.get("max"),
    )
