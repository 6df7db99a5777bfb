"""The values of one map tile of a service: its process evaluated for that tile only.

The tile's bounds, reprojected to each collection's CRS and widened by one of its pixels (so the pixels
at the tile's edges are there to draw), become the ``spatial_extent`` of every ``load_collection`` of the
process: the reader then opens only the windows under the tile. The result is computed on threads of
this process (a tile is small; the cluster is for results and jobs) and projected onto the tile's
256 x 256 Web Mercator grid. Where the tile's pixels are more than twice the data's, the collection is read
onto a coarser grid from the files' overviews (``TileCatalog``), so a tile of a low zoom reads little.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pyproj
import xarray as xr

from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView, ProcessContext, SaveRequest
from openeo_gip.processes.cube.geometry import bbox_in_crs
from openeo_gip.raster.records import Grid
from openeo_gip.results.pipeline import check_size, planned_results
from openeo_gip.services.tiles import Tile, from_web_mercator, pixels_per_tile_pixel, warp_onto

# openEO dimensions a tile can draw; any other must be reduced by the process.
_DRAWN = ("t", "bands", "y", "x")


def tile_extent(tile: Tile) -> dict[str, Any]:
    """The tile's bounds as an openEO bounding box (the ``spatial_extent`` process parameter)."""
    west, south, east, north = tile.bounds
    return {"west": west, "south": south, "east": east, "north": north, "crs": 3857}


def tile_values(
    services: Any, user: Any, process: dict, tile: Tile, bands: list[str] | None, log: Any
) -> np.ndarray | None:
    """``(1 or 3, 256, 256)`` float32 values of ``tile`` (NaN for no-data) of ``process`` run as ``user``;
    ``None`` when the process has no data under the tile. Bad processes raise their openEO error."""
    services = replace(services, catalog=TileCatalog(services.catalog, tile))
    process = with_tile_extent(process, tile, services.catalog, user)
    if process is None:
        return None
    context = ProcessContext(services=services, user=user, log=log)
    processes = services.processes_for(user.id)
    try:
        value = run_process(
            process, context, processes=processes, parameters={"spatial_extent": tile_extent(tile)}
        )
    except ApiError as error:
        if error.code == "NoDataAvailable":
            return None
        raise
    requests = planned_results(value, context)
    cube = requests[0].data.data if isinstance(requests[0].data, ArrayView) else requests[0].data
    if not isinstance(cube, xr.DataArray) or not {"x", "y"} <= set(cube.dims):
        raise ApiError("ProcessInvalid", "A map service's process must give a raster cube with x and y.")
    extra = [dim for dim in cube.dims if dim not in _DRAWN]
    if extra:
        raise ApiError(
            "ProcessInvalid", f"A map tile cannot draw the dimension '{extra[0]}': reduce it in the process."
        )
    if cube.sizes["x"] == 0 or cube.sizes["y"] == 0:
        return None
    cube = _drawn_bands(cube, bands)
    check_size([SaveRequest(cube, requests[0].format)], services.config.sync.max_pixels)
    return _onto_tile(cube.compute(scheduler="threads"), tile)


class TileCatalog:
    """The catalogue as one tile sees it: a collection whose pixels are more than twice as fine as the
    tile's is read onto a grid about as coarse as the tile, from the files' overviews (raster/reader.py)."""

    def __init__(self, catalog: Any, tile: Tile):
        self._catalog, self._tile = catalog, tile
        # A tile asks for its collections three times (extent, validation, load): look each up once.
        self._records: dict[tuple[str, Any], Any] = {}

    def get(self, collection_id: str, user: Any = None) -> Any:
        key = (collection_id, getattr(user, "id", None))
        if key not in self._records:
            record = self._catalog.get(collection_id, user=user)
            step = int(pixels_per_tile_pixel(self._tile, record.grid.crs, record.grid.resolution))
            self._records[key] = record if step < 2 else replace(record, grid=_coarser(record.grid, step))
        return self._records[key]

    def __getattr__(self, name: str) -> Any:  # everything else as the catalogue has it
        return getattr(self._catalog, name)


def _coarser(grid: Grid, step: int) -> Grid:
    """``grid`` with pixels ``step`` times larger, from the same corner."""
    a, b, c, d, e, f = grid.transform[:6]
    width, height = math.ceil(grid.width / step), math.ceil(grid.height / step)
    return Grid(grid.crs, [a * step, b, c, d, e * step, f], width, height)


def with_tile_extent(process: dict, tile: Tile, catalog: Any, user: Any) -> dict | None:
    """``process`` with the tile's bounds as the extent of each ``load_collection`` (intersected with an
    extent the process gives as a bounding box); ``None`` when such an extent misses the tile."""
    process = copy.deepcopy(process)
    for node in (process.get("process_graph") or {}).values():
        if not isinstance(node, dict) or node.get("process_id") != "load_collection":
            continue
        arguments = node.setdefault("arguments", {})
        given = arguments.get("spatial_extent")
        is_bbox = isinstance(given, dict) and {"west", "south", "east", "north"} <= given.keys()
        if given is not None and not is_bbox:  # a parameter reference or polygons: evaluated as they are
            continue
        collection = arguments.get("id")
        record = catalog.get(collection, user=user) if isinstance(collection, str) else None
        bounds, crs = _tile_bounds_for(tile, record)
        if is_bbox:
            bounds = _intersection(
                bounds, bbox_in_crs(given, pyproj.CRS(crs), "load_collection", "spatial_extent")
            )
            if bounds is None:
                return None
        west, south, east, north = bounds
        arguments["spatial_extent"] = {"west": west, "south": south, "east": east, "north": north, "crs": crs}
    return process


def _tile_bounds_for(tile: Tile, record: Any) -> tuple[tuple[float, ...], int | str]:
    """The tile's bounds in the collection's CRS, one pixel of its grid wider on each side."""
    if record is None:
        west, south, east, north = tile.bounds
        margin = (east - west) / 8
        return (west - margin, south - margin, east + margin, north + margin), 3857
    to_data = from_web_mercator(record.grid.crs)
    west, south, east, north = to_data.transform_bounds(*tile.bounds, densify_pts=21)
    if not all(math.isfinite(value) for value in (west, south, east, north)):  # beyond the CRS's area
        west, south, east, north = record.grid.bounds
    step_x, step_y = record.grid.resolution
    return (west - step_x, south - step_y, east + step_x, north + step_y), _crs_for_openeo(record.grid.crs)


@functools.lru_cache(maxsize=64)
def _crs_for_openeo(crs: str) -> int | str:
    """``crs`` as openEO names it: its EPSG code, else its WKT (looking the code up takes milliseconds)."""
    parsed = pyproj.CRS.from_user_input(crs)
    epsg = parsed.to_epsg()
    return epsg if epsg else parsed.to_wkt()


def _intersection(first: tuple, second: tuple) -> tuple | None:
    west, south = max(first[0], second[0]), max(first[1], second[1])
    east, north = min(first[2], second[2]), min(first[3], second[3])
    return (west, south, east, north) if west < east and south < north else None


def _drawn_bands(cube: xr.DataArray, bands: list[str] | None) -> xr.DataArray:
    """The one or three bands to draw, along ``bands`` (added when the cube has none)."""
    if "bands" not in cube.dims:
        return cube.expand_dims(bands=["value"])
    if bands:
        names = list(cube["bands"].values)
        missing = [name for name in bands if name not in names]
        if missing:
            raise ApiError(
                "ServiceConfigInvalid",
                parameter="bands",
                reason=f"the process gives no band '{missing[0]}' (it has {', '.join(map(str, names))})",
            )
        return cube.sel(bands=bands)
    return cube if cube.sizes["bands"] == 3 else cube.isel(bands=[0])


def _onto_tile(cube: xr.DataArray, tile: Tile) -> np.ndarray:
    """The computed cube, its dates merged (each pixel shows its latest valid value), projected onto the
    tile's grid by nearest neighbour."""
    if cube["y"].size > 1 and cube["y"].values[0] < cube["y"].values[-1]:
        cube = cube.isel(y=slice(None, None, -1))  # north up, as the transform below expects
    transform = cube.rio.transform(recalc=cube.sizes["x"] > 1 and cube.sizes["y"] > 1)
    crs = cube.rio.crs
    dims = [dim for dim in _DRAWN if dim in cube.dims]
    values = cube.transpose(*dims).values.astype(np.float32)
    if "t" in cube.dims:
        values = _latest_valid(values)
    return warp_onto(tile, values, values.shape[0], src_transform=transform, src_crs=crs, src_nodata=np.nan)


def _latest_valid(values: np.ndarray) -> np.ndarray:
    """``(t, bands, y, x)`` -> ``(bands, y, x)``: at each pixel the value of the latest date that has one."""
    merged = values[-1].copy()
    for earlier in values[-2::-1]:
        missing = np.isnan(merged)
        merged[missing] = earlier[missing]
    return merged
