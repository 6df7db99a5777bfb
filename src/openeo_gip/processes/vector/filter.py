"""filter_vector: keep the geometries of a vector cube that stand in a spatial relation to given ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
import xarray as xr

from openeo_gip.model.vectors import GEOMETRY, geometries_of, is_present, vector_crs
from openeo_gip.processes.cube.zonal import union_in_crs
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process
from openeo_gip.processes.vector.common import require_vector

# The base geometry is the first operand: "contains" keeps the candidates the base contains.
RELATIONS = {
    "intersects": shapely.intersects,
    "disjoint": shapely.disjoint,
    "equals": shapely.equals,
    "touches": shapely.touches,
    "crosses": shapely.crosses,
    "overlaps": shapely.overlaps,
    "contains": shapely.contains,
    "within": shapely.within,
}


@process()
def filter_vector(data: xr.DataArray, geometries: Any, relation: str = "intersects") -> xr.DataArray:
    require_vector(data, "filter_vector")
    if relation not in RELATIONS:
        raise invalid("filter_vector", "relation", f"use one of {', '.join(RELATIONS)}")
    base = union_in_crs(geometries, vector_crs(data), "filter_vector", "geometries")
    candidates = geometries_of(data)
    present = np.array([is_present(g) for g in candidates], dtype=bool)
    keep = np.zeros(len(candidates), dtype=bool)
    if present.any():
        keep[present] = RELATIONS[relation](base, candidates[present])
    return data.isel({GEOMETRY: np.flatnonzero(keep)})
