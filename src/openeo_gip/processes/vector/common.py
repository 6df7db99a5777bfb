"""What the processes ask of their vector arguments, and how GeoJSON arguments become vector cubes (no
processes here). How a vector cube is represented is shared by every layer: ``model/vectors.py``."""

from __future__ import annotations

from typing import Any

import pyproj
import xarray as xr

from openeo_gip.model.vectors import WGS84_NAME, is_vector_cube, vector_crs, vector_cube
from openeo_gip.processes.cube.geometry import shape_of
from openeo_gip.processes.errors import invalid, process_error


def require_vector(value: Any, process_id: str, parameter: str = "data") -> xr.DataArray:
    """``value`` when it is a vector cube, else a parameter error."""
    if not is_vector_cube(value):
        raise invalid(process_id, parameter, "a vector data cube is expected")
    return value


def require_metres(cube: xr.DataArray) -> pyproj.CRS:
    """The CRS of a vector cube, or ``UnitMismatch`` when its axes are not measured in metres."""
    crs = vector_crs(cube)
    units = {axis.unit_name for axis in crs.axis_info}
    if crs.is_geographic or not units <= {"metre", "meter"}:
        raise process_error(
            "UnitMismatch",
            "The geometries' reference system is not in meters; reproject them first (vector_reproject).",
        )
    return crs


def features_of_geojson(value: Any, process: str, parameter: str) -> list[tuple[Any, dict]]:
    """``(shapely geometry, properties)`` for every geometry of a GeoJSON object, in document order."""
    if not isinstance(value, dict) or "type" not in value:
        raise invalid(process, parameter, "GeoJSON is expected")
    kind = value["type"]
    if kind == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list):
            raise invalid(process, parameter, "a FeatureCollection needs a list of features")
        return [pair for feature in features for pair in features_of_geojson(feature, process, parameter)]
    if kind == "Feature":
        geometry = shape_of(value.get("geometry"), process, parameter)
        return [(geometry, dict(value.get("properties") or {}))]
    return [(shape_of(value, process, parameter), {})]


def geojson_to_vector_cube(value: Any, process: str, parameter: str) -> xr.DataArray:
    """GeoJSON (WGS 84 by definition) as a one-dimensional vector cube keeping all feature properties."""
    features = features_of_geojson(value, process, parameter)
    names = list(dict.fromkeys(name for _, props in features for name in props))
    properties = {name: [props.get(name) for _, props in features] for name in names}
    return vector_cube([geometry for geometry, _ in features], WGS84_NAME, properties)


def as_vector_cube(value: Any, process: str, parameter: str) -> xr.DataArray:
    """A vector cube as it is, or GeoJSON converted to one (the deprecated way of passing geometries)."""
    if is_vector_cube(value):
        return value
    if isinstance(value, dict):
        return geojson_to_vector_cube(value, process, parameter)
    raise invalid(process, parameter, "a vector data cube or GeoJSON is expected")
