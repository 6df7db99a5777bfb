"""Bounding boxes and GeoJSON polygons against the spatial grid of a cube (no processes here)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pyproj
import rasterio.features
import rioxarray  # noqa: F401  (registers the .rio accessor)
import shapely
import shapely.geometry
import xarray as xr

from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.cube.pushdown import sliced
from openeo_gip.processes.errors import invalid

WGS84 = pyproj.CRS.from_epsg(4326)


def cube_crs(cube: xr.DataArray) -> pyproj.CRS | None:
    crs = cube.rio.crs if "x" in cube.dims and "y" in cube.dims else None
    return _pyproj_crs(crs.to_wkt()) if crs is not None else None


@functools.lru_cache(maxsize=64)
def _pyproj_crs(wkt: str) -> pyproj.CRS:
    """The pyproj CRS of a rasterio CRS's WKT, made once: parsing it took 0.1 ms of every map tile's load
    (pyproj's CRS objects are thread-safe, so one may be shared)."""
    return pyproj.CRS.from_user_input(wkt)


def parse_crs(value: Any, process: str, parameter: str) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(4326 if value is None else value)
    except pyproj.exceptions.CRSError as exc:
        raise invalid(process, parameter, f"unknown coordinate reference system {value!r}") from exc


def bbox_in_crs(extent: dict, target: pyproj.CRS | None, process: str, parameter: str) -> tuple:
    """``(west, south, east, north)`` of an openEO bounding box, reprojected to ``target``."""
    try:
        west, south, east, north = (float(extent[key]) for key in ("west", "south", "east", "north"))
    except (KeyError, TypeError, ValueError) as exc:
        raise invalid(process, parameter, "west, south, east and north must be numbers") from exc
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise invalid(process, parameter, "west, south, east and north must be finite numbers")
    if west > east or south > north:
        raise invalid(process, parameter, "west must not exceed east, nor south north")
    source = parse_crs(extent.get("crs"), process, parameter)
    if source.is_geographic and (max(abs(south), abs(north)) > 90 or max(abs(west), abs(east)) > 360):
        raise invalid(process, parameter, "latitudes lie within ±90 degrees and longitudes within ±360")
    if target is None or source == target:
        return west, south, east, north
    transformer = pyproj.Transformer.from_crs(source, target, always_xy=True)
    return transformer.transform_bounds(west, south, east, north, densify_pts=21)


def select_bbox(cube: xr.DataArray, bounds: tuple, ctx: ProcessContext | None = None) -> xr.DataArray:
    """Keep the pixels whose centres lie inside ``bounds`` (borders included); a lazy slice (of the read
    itself, given the evaluation context)."""
    west, south, east, north = bounds
    selection = {}
    for dim, low, high in (("x", west, east), ("y", south, north)):
        if dim not in cube.dims:
            continue
        inside = np.flatnonzero((cube[dim].values >= low) & (cube[dim].values <= high))
        selection[dim] = slice(inside[0], inside[-1] + 1) if inside.size else slice(0, 0)
    return sliced(cube, selection, ctx)


def geojson_polygons(value: Any, process: str, parameter: str) -> shapely.Geometry:
    """The (multi)polygons of a GeoJSON geometry, Feature or FeatureCollection, as one geometry."""
    if not isinstance(value, dict) or "type" not in value:
        raise invalid(process, parameter, "GeoJSON is expected")
    kind = value["type"]
    if kind == "FeatureCollection":
        parts = [geojson_polygons(f, process, parameter) for f in value.get("features", [])]
        try:
            return shapely.union_all([p for p in parts if not p.is_empty])
        except shapely.errors.GEOSException as exc:
            raise invalid(process, parameter, f"not valid GeoJSON: {exc}") from exc
    if kind == "Feature":
        return geojson_polygons(value.get("geometry"), process, parameter)
    return shape_of(value, process, parameter)


def shape_of(value: Any, process: str, parameter: str) -> shapely.Geometry:
    """One GeoJSON geometry as shapely (``None``, a Feature without geometry, gives an empty one)."""
    if value is None:
        return shapely.Point()
    try:
        geometry = shapely.geometry.shape(value)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
        raise invalid(process, parameter, f"not valid GeoJSON: {exc}") from exc
    if geometry.geom_type == "GeometryCollection":
        raise invalid(process, parameter, "GeometryCollection is not supported")
    return geometry


def to_crs(geometry: shapely.Geometry, target: pyproj.CRS | None) -> shapely.Geometry:
    """GeoJSON coordinates are WGS 84 longitude/latitude; bring them to the cube's CRS."""
    if target is None or target == WGS84:
        return geometry
    transformer = pyproj.Transformer.from_crs(WGS84, target, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def mask_outside(
    cube: xr.DataArray, geometry: shapely.Geometry, ctx: ProcessContext | None = None
) -> xr.DataArray:
    """Crop to the bounding box of ``geometry`` (in the cube's CRS) and set pixels whose centre lies
    outside it to NaN. Points and lines keep the pixels they touch."""
    west, south, east, north = geometry.bounds
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        cube = select_bbox(cube, (west, south, east, north), ctx)
    else:
        cube = _select_nearest(cube, (west, south, east, north), ctx)
    if cube.sizes.get("x", 0) == 0 or cube.sizes.get("y", 0) == 0:
        return cube
    keep = ~rasterio.features.geometry_mask(
        [geometry],
        out_shape=(cube.sizes["y"], cube.sizes["x"]),
        transform=_grid_transform(cube),
        all_touched=geometry.geom_type not in ("Polygon", "MultiPolygon"),
    )
    inside = xr.DataArray(keep, dims=("y", "x"), coords={"y": cube["y"], "x": cube["x"]})
    return cube.where(inside)


def _select_nearest(cube: xr.DataArray, bounds: tuple, ctx: ProcessContext | None) -> xr.DataArray:
    """Bounding box selection widened by half a pixel, so points keep their nearest pixel."""
    half_x = abs(float(cube["x"][1] - cube["x"][0])) / 2 if cube.sizes["x"] > 1 else 0.0
    half_y = abs(float(cube["y"][1] - cube["y"][0])) / 2 if cube.sizes["y"] > 1 else 0.0
    west, south, east, north = bounds
    return select_bbox(cube, (west - half_x, south - half_y, east + half_x, north + half_y), ctx)


def _grid_transform(cube: xr.DataArray):
    return cube.rio.transform(recalc=cube.sizes["x"] > 1 and cube.sizes["y"] > 1)
