"""vector_to_regular_points and vector_to_random_points: sample points from the geometries of a vector cube.

Grouped (the default), each geometry becomes one ``MultiPoint`` and the cube keeps its shape; ungrouped,
every point becomes a feature of its own, with the values and properties of the geometry it came from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
import xarray as xr

from openeo_gip.model.limits import MAX_POINTS
from openeo_gip.model.vectors import GEOMETRY, geometries_of, is_present, vector_crs, with_geometries
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process
from openeo_gip.processes.vector.common import require_metres, require_vector

# Random points in a polygon are drawn in its bounding box and kept when inside: this many rounds at most,
# of at most MAX_BATCH draws each (a thin diagonal polygon fills a tiny part of its bounding box).
MAX_DRAW_ROUNDS = 100
MAX_BATCH = 1_000_000

POINT = shapely.GeometryType.POINT
LINES = (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING)
POLYGON = shapely.GeometryType.POLYGON


def _no_points() -> np.ndarray:
    return np.empty((0, 2))


@process()
def vector_to_regular_points(data: xr.DataArray, distance: float, group: bool = True) -> xr.DataArray:
    cube = require_vector(data, "vector_to_regular_points")
    if isinstance(distance, bool) or not isinstance(distance, int | float) or not distance > 0:
        raise invalid("vector_to_regular_points", "distance", "a distance above 0 is required")
    require_metres(cube)
    samples = []
    total = 0
    for geometry in geometries_of(cube):
        points = (
            _regular(geometry, float(distance), MAX_POINTS - total) if is_present(geometry) else _no_points()
        )
        total += len(points)
        samples.append(points)
    return _points_cube(cube, samples, group)


@process()
def vector_to_random_points(
    data: xr.DataArray,
    geometry_count: int | None = None,
    total_count: int | None = None,
    group: bool = True,
    seed: int | None = None,
) -> xr.DataArray:
    cube = require_vector(data, "vector_to_random_points")
    for name, value in (("geometry_count", geometry_count), ("total_count", total_count)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise invalid("vector_to_random_points", name, "a whole number of at least 1 (or null)")
    geometries = geometries_of(cube)
    present = [is_present(g) for g in geometries]
    if total_count is not None and total_count < sum(present):
        raise process_error(
            "CountMismatch",
            f"total_count {total_count} is lower than the number of geometries ({sum(present)}); "
            "each needs a point.",
        )
    counts = _counts(sum(present), geometry_count, total_count)
    if sum(counts) > MAX_POINTS:
        # the parameter that set the number (one point per geometry when neither is given)
        culprit = "total_count" if total_count is not None else "geometry_count" if geometry_count else "data"
        raise invalid("vector_to_random_points", culprit, f"more than {MAX_POINTS:,} points")
    rng = np.random.default_rng(seed)
    wanted = iter(counts)
    samples = [
        _random(g, next(wanted), rng) if here else _no_points()
        for g, here in zip(geometries, present, strict=True)
    ]
    return _points_cube(cube, samples, group)


def _parts(geometry: Any) -> np.ndarray:
    """The simple geometries (points, lines, polygons) a geometry is made of, the empty ones left out;
    collections may hold multi-geometries, hence the repetition."""
    parts = shapely.get_parts(geometry)
    while (shapely.get_type_id(parts) > POLYGON).any():
        parts = shapely.get_parts(parts)
    return parts[~shapely.is_empty(parts)]


def _regular(geometry: Any, distance: float, budget: int) -> np.ndarray:
    """Points every ``distance`` along lines, the centres of a ``distance`` grid inside polygons (from
    the upper-left corner of all polygon parts), and points as they are; ``invalid`` when more than
    ``budget`` points could result, checked before anything is allocated."""
    parts = _parts(geometry)
    kinds = shapely.get_type_id(parts)
    polygons = parts[kinds == POLYGON]
    with np.errstate(over="ignore", invalid="ignore"):
        steps = np.floor(shapely.length(parts) / distance + 1e-9) + 1  # positions 0, d, 2d... on lines
        if len(polygons):
            west, _, _, north = shapely.total_bounds(polygons)
            bounds = shapely.bounds(polygons)
            # the block of grid cells (first inclusive, last exclusive) covering each part's bounding box
            first_col = np.floor((bounds[:, 0] - west) / distance)
            last_col = np.maximum(np.ceil((bounds[:, 2] - west) / distance), first_col + 1)
            first_row = np.floor((north - bounds[:, 3]) / distance)
            last_row = np.maximum(np.ceil((north - bounds[:, 1]) / distance), first_row + 1)
            cells = ((last_col - first_col) * (last_row - first_row)).sum()
        else:
            cells = 0.0
        wanted = (kinds == POINT).sum() + steps[np.isin(kinds, LINES)].sum() + cells
    if not wanted <= budget:  # also when the division overflowed (inf, nan)
        raise invalid(
            "vector_to_regular_points",
            "distance",
            f"more than {MAX_POINTS:,} points (the limit) would result; use a larger distance",
        )
    pieces = []
    for part, kind, count in zip(parts, kinds, steps, strict=True):
        if kind == POINT:
            pieces.append(shapely.get_coordinates(part))
        elif kind in LINES:
            along = shapely.line_interpolate_point(part, distance * np.arange(int(count)))
            pieces.append(shapely.get_coordinates(along))
    if len(polygons):
        found = [np.empty((0, 2), dtype=np.int64)]
        for part, c0, c1, r0, r1 in zip(polygons, first_col, last_col, first_row, last_row, strict=True):
            col, row = np.meshgrid(np.arange(int(c0), int(c1)), np.arange(int(r0), int(r1)))
            inside = shapely.contains_xy(
                part, west + distance / 2 + distance * col, north - distance / 2 - distance * row
            )
            found.append(np.column_stack([row[inside], col[inside]]))
        cells_in = np.unique(np.concatenate(found), axis=0)  # row by row from the top, once each
        if len(cells_in):
            xs = west + distance / 2 + distance * cells_in[:, 1]
            ys = north - distance / 2 - distance * cells_in[:, 0]
            pieces.append(np.column_stack([xs, ys]))
        else:  # too small for a cell centre: its first vertex
            pieces.append(shapely.get_coordinates(polygons[0])[:1])
    return np.concatenate([_no_points(), *pieces])


def _counts(geometries: int, per_geometry: int | None, total: int | None) -> list[int]:
    """Points to draw for each present geometry: at least one each, at most ``per_geometry`` each and
    ``total`` in all (split evenly, the first geometries taking the remainder)."""
    if total is None:
        return [per_geometry or 1] * geometries
    share, rest = divmod(total, max(geometries, 1))
    counts = [share + (1 if i < rest else 0) for i in range(geometries)]
    return [min(count, per_geometry) if per_geometry else count for count in counts]


def _random(geometry: Any, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct random locations in a geometry, spread over its parts by area, length or number
    (polygons first: they are what such samples are usually for)."""
    parts = _parts(geometry)
    kinds = shapely.get_type_id(parts)
    polygons = parts[(kinds == POLYGON) & (shapely.area(parts) > 0)]
    lines = parts[np.isin(kinds, LINES) & (shapely.length(parts) > 0)]
    if len(polygons):
        return _in_polygons(polygons, count, rng)
    if len(lines):
        lengths = shapely.length(lines)
        choice = rng.choice(len(lines), size=count, p=lengths / lengths.sum())
        along = shapely.line_interpolate_point(lines[choice], rng.uniform(0, lengths[choice]))
        return shapely.get_coordinates(along)
    coords = np.unique(shapely.get_coordinates(parts[kinds == POINT]), axis=0)
    picked = rng.choice(len(coords), size=min(count, len(coords)), replace=False)  # each point at most once
    return coords[np.sort(picked)]


def _in_polygons(polygons: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    area = shapely.MultiPolygon(list(polygons)) if len(polygons) > 1 else polygons[0]
    west, south, east, north = area.bounds
    spread = (east - west) * (north - south) / area.area  # draws per point found, on average
    found = [_no_points()]
    have = 0
    for _ in range(MAX_DRAW_ROUNDS):
        need = count - have
        batch = int(min(MAX_BATCH, max(16, need * spread * 1.5)))
        xs, ys = rng.uniform(west, east, batch), rng.uniform(south, north, batch)
        inside = shapely.contains_xy(area, xs, ys)
        found.append(np.column_stack([xs[inside], ys[inside]])[:need])
        have += len(found[-1])
        if have >= count:
            return np.concatenate(found)
    raise invalid("vector_to_random_points", "data", "a polygon is too thin to draw points inside it")


def _points_cube(cube: xr.DataArray, samples: list[np.ndarray], group: bool) -> xr.DataArray:
    crs = vector_crs(cube)
    if group:
        return with_geometries(cube, [shapely.multipoints(points) for points in samples], crs)
    source = np.repeat(np.arange(len(samples)), [len(points) for points in samples])
    result = cube.isel({GEOMETRY: source})
    return with_geometries(result, list(shapely.points(np.concatenate([_no_points(), *samples]))), crs)
