"""Vector data cubes: how they are represented, for the processes that make them and the formats that
write them.

A vector cube is an ``xarray.DataArray`` with a dimension ``geometry`` whose coordinate holds shapely
geometries (an object array), the CRS of those geometries in ``attrs["crs"]`` (a string pyproj reads: an
EPSG code or WKT), and the feature properties as further coordinates along ``geometry``. Other dimensions
(``t``, ``bands``, ``properties``...) are ordinary labeled dimensions; a cube of geometries only is
one-dimensional and holds no-data values. What processes require of their vector arguments, and how GeoJSON
arguments become vector cubes, is in ``processes/vector/common.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyproj
import shapely
import xarray as xr

GEOMETRY = "geometry"
WGS84_NAME = "EPSG:4326"


def is_vector_cube(value: Any) -> bool:
    return isinstance(value, xr.DataArray) and GEOMETRY in value.dims


def is_present(geometry: Any) -> bool:
    """Whether a geometry of a vector cube is there: neither missing (None) nor empty."""
    return geometry is not None and not geometry.is_empty


def vector_crs(cube: xr.DataArray) -> pyproj.CRS:
    return pyproj.CRS.from_user_input(cube.attrs.get("crs", WGS84_NAME))


def crs_name(crs: pyproj.CRS) -> str:
    """How a CRS is stored in ``attrs["crs"]``: ``EPSG:n`` when it has a code, else WKT."""
    code = crs.to_epsg()
    return f"EPSG:{code}" if code is not None else crs.to_wkt()


def geometries_of(cube: xr.DataArray) -> np.ndarray:
    return np.asarray(cube[GEOMETRY].values, dtype=object)


def vector_cube(
    geometries: list, crs: pyproj.CRS | str, properties: dict[str, list] | None = None
) -> xr.DataArray:
    """A one-dimensional vector cube of ``geometries`` (no-data values) with feature ``properties``."""
    coords: dict[str, Any] = {GEOMETRY: _object_array(geometries)}
    for name, values in (properties or {}).items():
        if name != GEOMETRY:
            coords[name] = (GEOMETRY, _column(values))
    crs = crs if isinstance(crs, str) else crs_name(crs)
    return xr.DataArray(np.full(len(geometries), np.nan), dims=(GEOMETRY,), coords=coords, attrs={"crs": crs})


def with_geometries(cube: xr.DataArray, geometries: list, crs: pyproj.CRS) -> xr.DataArray:
    """``cube`` with its geometries replaced (same count, same order) and a new CRS."""
    result = cube.assign_coords({GEOMETRY: _object_array(geometries)})
    result.attrs = dict(cube.attrs, crs=crs_name(crs))
    return result


def feature_properties(cube: xr.DataArray) -> list[str]:
    """Names of the coordinates that carry feature properties (along ``geometry`` only)."""
    return [str(n) for n, c in cube.coords.items() if c.dims == (GEOMETRY,) and n != GEOMETRY]


def transform_geometries(geometries: np.ndarray, source: pyproj.CRS, target: pyproj.CRS) -> list:
    if source == target:
        return list(geometries)
    transformer = pyproj.Transformer.from_crs(source, target, always_xy=True)

    def move(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    return [shapely.transform(g, move) if g is not None else None for g in geometries]


def _object_array(values: list) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def _column(values: list) -> np.ndarray:
    """Property values as a numeric array when all are numbers (missing ones NaN), else objects."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    return _object_array(values)
