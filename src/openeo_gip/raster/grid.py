"""Grid arithmetic: a collection's common grid, bounding boxes between CRSs, pixel windows."""

from __future__ import annotations

import math
from collections import Counter

from affine import Affine
from rasterio.crs import CRS
from rasterio.warp import transform_bounds

from openeo_gip.raster.records import Asset, Grid

WGS84 = CRS.from_epsg(4326)


def common_grid(assets: list[Asset]) -> Grid:
    """The grid of a collection: the most frequent CRS, the finest resolution in it, the union of all
    files' bounds (files in other CRSs reprojected), aligned to the first file of that CRS."""
    crs_name = Counter(asset.grid.crs for asset in assets).most_common(1)[0][0]
    crs = CRS.from_user_input(crs_name)
    same = [asset.grid for asset in assets if asset.grid.crs == crs_name]
    xres = min(grid.resolution[0] for grid in same)
    yres = min(grid.resolution[1] for grid in same)
    west, south, east, north = math.inf, math.inf, -math.inf, -math.inf
    for asset in assets:
        bounds = asset.grid.bounds
        if asset.grid.crs != crs_name:
            bounds = transform_bounds(asset.grid.rio_crs, crs, *bounds, densify_pts=21)
        west, south = min(west, bounds[0]), min(south, bounds[1])
        east, north = max(east, bounds[2]), max(north, bounds[3])
    anchor = same[0].affine
    # Snap the union outwards onto the anchor file's pixel lattice.
    col0 = math.floor(round((west - anchor.c) / xres, 6))
    col1 = math.ceil(round((east - anchor.c) / xres, 6))
    row0 = math.floor(round((anchor.f - north) / yres, 6))
    row1 = math.ceil(round((anchor.f - south) / yres, 6))
    transform = Affine(xres, 0.0, anchor.c + col0 * xres, 0.0, -yres, anchor.f - row0 * yres)
    return Grid(crs_name, list(transform)[:6], col1 - col0, row1 - row0)


def is_aligned(asset_grid: Grid, grid: Grid) -> bool:
    """True when the asset's pixels are the grid's pixels (same CRS, size and lattice): no resampling."""
    if asset_grid.crs != grid.crs:
        return False
    a, b = asset_grid.affine, grid.affine
    if a.b or a.d or b.b or b.d or not math.isclose(a.a, b.a) or not math.isclose(a.e, b.e):
        return False
    col = (a.c - b.c) / b.a
    row = (a.f - b.f) / b.e
    return abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6


def pixel_offset(asset_grid: Grid, grid: Grid) -> tuple[int, int]:
    """(row, col) of the asset's first pixel in ``grid`` (only for aligned grids)."""
    a, b = asset_grid.affine, grid.affine
    return round((a.f - b.f) / b.e), round((a.c - b.c) / b.a)


def wgs84_bbox(grid: Grid) -> list[float]:
    west, south, east, north = transform_bounds(grid.rio_crs, WGS84, *grid.bounds, densify_pts=21)
    return [round(value, 7) for value in (west, south, east, north)]


def window_for_bbox(
    grid: Grid, bbox: tuple[float, float, float, float], crs: CRS
) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the grid's pixels that touch ``bbox`` (given in ``crs``); may be empty."""
    if crs != grid.rio_crs:
        bbox = transform_bounds(crs, grid.rio_crs, *bbox, densify_pts=21)
    west, south, east, north = bbox
    a = grid.affine
    col0 = math.floor(_inside((west - a.c) / a.a, grid.width))
    col1 = math.ceil(_inside((east - a.c) / a.a, grid.width))
    row0 = math.floor(_inside((north - a.f) / a.e, grid.height))
    row1 = math.ceil(_inside((south - a.f) / a.e, grid.height))
    return row0, max(row1, row0), col0, max(col1, col0)


def _inside(position: float, size: int) -> float:
    """A pixel position clipped to ``0..size``; a box reaching far beyond the grid's projection gives
    infinite (or undefined) positions, which become the grid's edge."""
    if math.isnan(position):
        return 0.0
    return min(max(round(position, 6), 0.0), float(size))
