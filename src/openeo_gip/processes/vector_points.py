"""vector_to_regular_points and vector_to_random_points: sample points from the geometries of a vector cube.

Grouped (the default), each geometry becomes one ``MultiPoint`` and the cube keeps its shape; ungrouped,
every point becomes a feature of its own, with the values and properties of the geometry it came from.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
import xarray as xr

from openeo_gip.processes.cube_common import invalid, process_error
from openeo_gip.processes.registry import process
from openeo_gip.processes.vector_common import (
    GEOMETRY,
    geometries_of,
    is_vector_cube,
    require_metres,
    vector_crs,
    with_geometries,
)

# Random points in a polygon are drawn in its bounding box and kept when inside: this many rounds at most.
MAX_DRAW_ROUNDS = 100
# Whole-cube limit, so that a tiny distance cannot exhaust the server's memory.
MAX_POINTS = 1_000_000


@process()
def vector_to_regular_points(data: xr.DataArray, distance: float, group: bool = True) -> xr.DataArray:
    cube = _require_vector(data, "vector_to_regular_points")
    if isinstance(distance, bool) or not isinstance(distance, int | float) or not distance > 0:
        raise invalid("vector_to_regular_points", "distance", "a distance above 0 is required")
    require_metres(cube)
    samples = []
    for geometry in geometries_of(cube):
        samples.append(_regular(geometry, float(distance)) if _present(geometry) else [])
        if sum(map(len, samples)) > MAX_POINTS:
            raise invalid(
                "vector_to_regular_points", "distance", f"more than {MAX_POINTS:,} points would result"
            )
    return _points_cube(cube, samples, group)


@process()
def vector_to_random_points(
    data: xr.DataArray,
    geometry_count: int | None = None,
    total_count: int | None = None,
    group: bool = True,
    seed: int | None = None,
) -> xr.DataArray:
    cube = _require_vector(data, "vector_to_random_points")
    for name, value in (("geometry_count", geometry_count), ("total_count", total_count)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise invalid("vector_to_random_points", name, "a whole number of at least 1 (or null)")
    geometries = geometries_of(cube)
    present = [_present(g) for g in geometries]
    if total_count is not None and total_count < sum(present):
        raise process_error(
            "CountMismatch",
            f"total_count {total_count} is lower than the number of geometries ({sum(present)}); "
            "each needs a point.",
        )
    counts = _counts(sum(present), geometry_count, total_count)
    if sum(counts) > MAX_POINTS:
        raise invalid("vector_to_random_points", "geometry_count", f"more than {MAX_POINTS:,} points")
    rng = np.random.default_rng(seed)
    wanted = iter(counts)
    samples = [
        _random(g, next(wanted), rng) if here else [] for g, here in zip(geometries, present, strict=True)
    ]
    return _points_cube(cube, samples, group)


def _require_vector(data: Any, process_id: str) -> xr.DataArray:
    if not is_vector_cube(data):
        raise invalid(process_id, "data", "a vector data cube is expected")
    return data


def _present(geometry: Any) -> bool:
    return geometry is not None and not geometry.is_empty


def _parts(geometry: Any) -> list:
    """The simple geometries (points, lines, polygons) a geometry is made of."""
    if hasattr(geometry, "geoms"):
        return [part for member in geometry.geoms for part in _parts(member)]
    return [geometry]


def _regular(geometry: Any, distance: float) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for part in _parts(geometry):
        if part.geom_type == "Point":
            points.append((part.x, part.y))
        elif part.geom_type in ("LineString", "LinearRing"):
            steps = np.arange(0.0, part.length + distance * 1e-9, distance)
            points += [(p.x, p.y) for p in shapely.line_interpolate_point(part, steps)]
    polygons = [part for part in _parts(geometry) if part.geom_type == "Polygon" and not part.is_empty]
    if polygons:
        area = shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]
        west, south, east, north = area.bounds
        columns = max(1, math.ceil((east - west) / distance))
        rows = max(1, math.ceil((north - south) / distance))
        xs = west + distance / 2 + distance * np.arange(columns)
        ys = north - distance / 2 - distance * np.arange(rows)  # row by row from the top
        grid_x, grid_y = np.meshgrid(xs, ys)
        inside = shapely.contains_xy(area, grid_x, grid_y)
        found = list(zip(grid_x[inside].tolist(), grid_y[inside].tolist(), strict=True))
        points += found or [tuple(shapely.get_coordinates(polygons[0])[0])]
    return points


def _counts(geometries: int, per_geometry: int | None, total: int | None) -> list[int]:
    """Points to draw for each present geometry: at least one each, at most ``per_geometry`` each and
    ``total`` in all (split evenly, the first geometries taking the remainder)."""
    if total is None:
        return [per_geometry or 1] * geometries
    share, rest = divmod(total, max(geometries, 1))
    counts = [share + (1 if i < rest else 0) for i in range(geometries)]
    return [min(count, per_geometry) if per_geometry else count for count in counts]


def _random(geometry: Any, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """``count`` distinct random locations in a geometry, spread over its parts by area, length or number
    (polygons first: they are what such samples are usually for)."""
    parts = _parts(geometry)
    polygons = [p for p in parts if p.geom_type == "Polygon" and p.area > 0]
    lines = [p for p in parts if p.geom_type in ("LineString", "LinearRing") and p.length > 0]
    if polygons:
        return _in_polygons(polygons, count, rng)
    if lines:
        lengths = np.array([line.length for line in lines])
        choice = rng.choice(len(lines), size=count, p=lengths / lengths.sum())
        return [_along(lines[i], rng.uniform(0, lines[i].length)) for i in choice]
    coords = np.unique(np.array([(p.x, p.y) for p in parts if p.geom_type == "Point"]), axis=0)
    picked = rng.choice(len(coords), size=min(count, len(coords)), replace=False)  # each point at most once
    return [tuple(coords[i]) for i in sorted(picked)]


def _in_polygons(polygons: list, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    area = shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]
    west, south, east, north = area.bounds
    found: list[tuple[float, float]] = []
    for _ in range(MAX_DRAW_ROUNDS):
        need = count - len(found)
        batch = max(16, int(need * (east - west) * (north - south) / area.area * 1.5))
        xs, ys = rng.uniform(west, east, batch), rng.uniform(south, north, batch)
        inside = shapely.contains_xy(area, xs, ys)
        found += list(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True))[:need]
        if len(found) >= count:
            return found
    raise invalid("vector_to_random_points", "data", "a polygon is too thin to draw points inside it")


def _along(line: Any, position: float) -> tuple[float, float]:
    point = line.interpolate(position)
    return point.x, point.y


def _points_cube(cube: xr.DataArray, samples: list[list], group: bool) -> xr.DataArray:
    crs = vector_crs(cube)
    if group:
        return with_geometries(cube, [shapely.MultiPoint(points) for points in samples], crs)
    source = [i for i, points in enumerate(samples) for _ in points]
    points = [shapely.Point(xy) for pts in samples for xy in pts]
    result = cube.isel({GEOMETRY: np.array(source, dtype=int)})
    return with_geometries(result, points, crs)
