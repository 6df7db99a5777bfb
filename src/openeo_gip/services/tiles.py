"""The Web Mercator tile grid of XYZ and WMTS (GoogleMapsCompatible): tile z/x/y, its bounds, its grid."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pyproj
from affine import Affine
from rasterio.warp import Resampling, reproject

WEB_MERCATOR = "EPSG:3857"
# Half the width of the world in Web Mercator metres: the grid spans [-EDGE, EDGE] on both axes.
EDGE = math.pi * 6378137.0
TILE_SIZE = 256
MAX_ZOOM = 22
# The scale denominator of zoom 0 (one 256-pixel tile for the world, 0.28 mm pixels), as WMTS names it.
ZOOM0_SCALE = 2 * EDGE / TILE_SIZE / 0.00028


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int  # rows counted from the north, as XYZ and WMTS do

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in Web Mercator metres."""
        size = 2 * EDGE / 2**self.z
        west = -EDGE + self.x * size
        north = EDGE - self.y * size
        return west, north - size, west + size, north

    def transform(self, pixels: int = TILE_SIZE) -> Affine:
        """The affine transform of the tile's ``pixels`` x ``pixels`` grid."""
        west, _, east, north = self.bounds
        size = (east - west) / pixels
        return Affine(size, 0.0, west, 0.0, -size, north)


def tile_or_none(z: int, x: int, y: int) -> Tile | None:
    """The tile, or ``None`` when z/x/y names no tile of the grid."""
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2**z and 0 <= y < 2**z):
        return None
    return Tile(z, x, y)


@functools.lru_cache(maxsize=64)
def from_web_mercator(crs: str) -> pyproj.Transformer:
    """The transformer from Web Mercator to ``crs``, made once: making one takes milliseconds, longer than
    the rest of a tile's arithmetic (pyproj's transformers are thread-safe)."""
    return pyproj.Transformer.from_crs(WEB_MERCATOR, pyproj.CRS.from_user_input(crs), always_xy=True)


def pixels_per_tile_pixel(tile: Tile, crs: str, resolution: tuple[float, float]) -> float:
    """How many pixels of ``resolution`` (in ``crs``'s units) fit in one of the tile's along each axis (at
    least 1; 1 where the tile lies beyond what ``crs`` can express)."""
    west, south, east, north = from_web_mercator(crs).transform_bounds(*tile.bounds, densify_pts=21)
    pixels = min((east - west) / resolution[0], (north - south) / resolution[1]) / TILE_SIZE
    return pixels if math.isfinite(pixels) and pixels >= 1 else 1.0


def warp_onto(tile: Tile, source: object, bands: int, **source_grid: object) -> np.ndarray:
    """``(bands, 256, 256)`` float32 values of ``source`` (an array or ``rasterio.band``, placed by
    ``source_grid``: ``src_transform``, ``src_crs``, ``src_nodata``) on ``tile``'s grid, NaN where it has
    none. Nearest neighbour and exact (tolerance 0): a pixel is the one under its centre, so the same data
    gives the same tiles from a service and from a job result."""
    target = np.full((bands, TILE_SIZE, TILE_SIZE), np.nan, dtype=np.float32)
    reproject(
        source=source,
        destination=target,
        dst_transform=tile.transform(TILE_SIZE),
        dst_crs=WEB_MERCATOR,
        dst_nodata=np.nan,
        resampling=Resampling.nearest,
        tolerance=0,
        **source_grid,
    )
    return target
