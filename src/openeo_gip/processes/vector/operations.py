"""Vector cube processes: load_geojson, vector_buffer, vector_reproject (cubes as ``model/vectors.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
import xarray as xr

from openeo_gip.model.vectors import (
    GEOMETRY,
    geometries_of,
    transform_geometries,
    vector_crs,
    with_geometries,
)
from openeo_gip.processes.cube.geometry import parse_crs
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process
from openeo_gip.processes.vector.common import (
    features_of_geojson,
    geojson_to_vector_cube,
    require_metres,
    require_vector,
)


@process()
def load_geojson(data: dict, properties: list | None = ()) -> xr.DataArray:
    cube = geojson_to_vector_cube(data, "load_geojson", "data")
    names = list(properties or [])
    if not names:
        return cube
    features = features_of_geojson(data, "load_geojson", "data")
    rows = [[props.get(name) for name in names] for _, props in features]
    if len(names) == 1 and any(isinstance(row[0], list) for row in rows):
        # One property holding arrays: its indices become the labels, shorter arrays padded with no-data.
        width = max(len(row[0]) if isinstance(row[0], list) else 1 for row in rows)
        rows = [_padded(row[0] if isinstance(row[0], list) else [row[0]], width) for row in rows]
        labels: list = list(range(width))
    else:
        labels = names
    values = _table(rows)
    return xr.DataArray(
        values,
        dims=(GEOMETRY, "properties"),
        coords={**{name: coord for name, coord in cube.coords.items()}, "properties": labels},
        attrs=dict(cube.attrs),
    )


def _padded(values: list, width: int) -> list:
    return list(values) + [None] * (width - len(values))


def _table(rows: list[list]) -> np.ndarray:
    flat = [v for row in rows for v in row if v is not None]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in flat)
    if numeric:
        return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    table = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, row in enumerate(rows):
        table[i, :] = row
    return table


@process()
def vector_buffer(geometries: xr.DataArray, distance: float) -> xr.DataArray:
    require_vector(geometries, "vector_buffer", "geometries")
    if distance == 0:
        raise invalid("vector_buffer", "distance", "the distance must not be zero")
    crs = require_metres(geometries)
    buffered = shapely.buffer(geometries_of(geometries), float(distance))
    return with_geometries(geometries, list(buffered), crs)


@process()
def vector_reproject(data: xr.DataArray, projection: Any, dimension: str | None = None) -> xr.DataArray:
    require_vector(data, "vector_reproject")
    if dimension is not None and dimension != GEOMETRY:
        raise process_error(
            "DimensionNotAvailable", f"The vector cube has no geometry dimension '{dimension}'."
        )
    target = parse_crs(projection, "vector_reproject", "projection")
    moved = transform_geometries(geometries_of(data), vector_crs(data), target)
    return with_geometries(data, moved, target)
