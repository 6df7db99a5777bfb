"""What the synthetic Sentinel-2 scenes show: a land cover map, its surface reflectance through the seasons,
clouds with their shadows, and the scene classification (SCL) of it all. Pure numpy, no files.

Reflectances are of the bands B02, B03, B04, B08 (blue, green, red, near infrared), mixed linearly from a
few end members, so each land cover class keeps the NDVI of its kind: dense vegetation 0.6-0.9 at its
peak, bare soil and towns about 0.1-0.3, water below zero (it reflects less near infrared than red).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LAND_COVER = {"water": 1, "urban": 2, "forest": 3, "grassland": 4, "cropland": 5, "bare": 6}
# The Sentinel-2 L2A scene classes the generator writes.
SCL = {
    "nodata": 0,
    "shadow": 3,
    "vegetation": 4,
    "bare": 5,
    "water": 6,
    "cloud_medium": 8,
    "cloud_high": 9,
    "cirrus": 10,
}
CLOUD_CLASSES = (SCL["cloud_medium"], SCL["cloud_high"], SCL["cirrus"])

# End members: surface reflectance per band (B02, B03, B04, B08).
_WATER = np.array([0.06, 0.05, 0.035, 0.015])
_SOIL = np.array([0.09, 0.12, 0.16, 0.22])
_LEAF = np.array([0.03, 0.07, 0.025, 0.42])  # a closed green canopy
_BUILT = np.array([0.11, 0.12, 0.13, 0.17])  # roofs, roads, concrete
_CLOUD = np.array([0.55, 0.55, 0.56, 0.60])
_VEGETATED = 0.3  # a pixel with at least this cover of green leaves is SCL "vegetation"


@dataclass(frozen=True)
class Landscape:
    """The land that does not change: its class per pixel and what each pixel's season looks like."""

    cover: np.ndarray  # LAND_COVER codes
    brightness: np.ndarray  # of the soil (or the built surface) under the plants, around 1
    peak: np.ndarray  # day of year a field is greenest
    width: np.ndarray  # days it takes a field to green up (and brown down)
    amplitude: np.ndarray  # green cover of a field at its peak


def smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Values in [0, 1] varying smoothly over about ``size / cells`` pixels (bilinear upsampling)."""
    coarse = rng.random((cells + 1, cells + 1))
    positions = np.linspace(0, cells, size)
    rows = np.array([np.interp(positions, np.arange(cells + 1), coarse[:, j]) for j in range(cells + 1)]).T
    return np.array([np.interp(positions, np.arange(cells + 1), row) for row in rows])


@lru_cache(maxsize=4)
def landscape(size: int, seed: int) -> Landscape:
    """A river, a town, forest, patches of bare land, and fields (crops with their own season, or meadows)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    river_centre = 0.5 + 0.12 * np.sin(2 * np.pi * (xx * 1.5 + 0.1))
    fields_per_side = max(6, size // 40)  # fields of a few hundred metres at 10 m
    field_id = (yy * fields_per_side).astype(int) * fields_per_side + (xx * fields_per_side).astype(int)
    fields = fields_per_side**2
    meadow = rng.random(fields) < 0.25
    cover = np.where(meadow[field_id], LAND_COVER["grassland"], LAND_COVER["cropland"])
    # Patches where a smooth noise is highest, of about the share given; later ones drawn over earlier ones.
    for name, cells, share in (("bare", 5, 0.06), ("forest", 4, 0.22), ("urban", 3, 0.1)):
        noise = smooth_noise(rng, size, cells)
        cover[noise > np.quantile(noise, 1 - share)] = LAND_COVER[name]
    cover[np.abs(yy - river_centre) < 0.035] = LAND_COVER["water"]
    landscape = Landscape(
        cover=cover,
        brightness=0.75 + 0.5 * smooth_noise(rng, size, 8),
        peak=rng.uniform(140, 240, fields)[field_id],
        width=rng.uniform(35, 70, fields)[field_id],
        amplitude=rng.uniform(0.65, 0.95, fields)[field_id],
    )
    for array in vars(landscape).values():
        array.flags.writeable = False  # cached: shared by every scene of the same size and seed
    return landscape


def green_cover(land: Landscape, doy: int) -> np.ndarray:
    """The share of each pixel covered by green leaves on day of year ``doy``."""
    summer = np.cos(np.pi * (doy - 196) / 365) ** 2  # 1 in mid-July, 0 in mid-January
    crop = 0.05 + land.amplitude * np.exp(-(((doy - land.peak) / land.width) ** 2))
    by_class = {
        "forest": 0.75 + 0.2 * summer,
        "grassland": 0.45 + 0.45 * summer,
        "cropland": crop,
        "urban": 0.06 * land.brightness,  # street trees and gardens
        "bare": 0.03 * land.brightness,
    }
    green = np.zeros(land.cover.shape)
    for name, cover in by_class.items():
        green = np.where(land.cover == LAND_COVER[name], cover, green)
    return green


def surface_reflectance(land: Landscape, green: np.ndarray) -> np.ndarray:
    """(band, y, x) reflectance of the ground under a clear sky."""
    background = np.where(land.cover == LAND_COVER["urban"], _BUILT[:, None, None], _SOIL[:, None, None])
    background = background * land.brightness
    reflectance = background * (1 - green) + _LEAF[:, None, None] * green
    forest = land.cover == LAND_COVER["forest"]
    reflectance = np.where(forest, reflectance * 0.8, reflectance)  # darker crowns, the same NDVI
    return np.where(land.cover == LAND_COVER["water"], _WATER[:, None, None], reflectance)


@dataclass(frozen=True)
class Sky:
    opacity: np.ndarray  # 0 clear .. 1 opaque cloud
    shadow: np.ndarray  # bool: the ground in a cloud's shadow


def sky(rng: np.random.Generator, size: int, cloudiness: float) -> Sky:
    """Clouds covering about ``cloudiness`` of the scene (0: clear); shadows fall a little south-east."""
    opacity = np.clip((smooth_noise(rng, size, 5) - (1 - cloudiness)) * 4, 0, 1)
    if not cloudiness:
        opacity[:] = 0
    casting = opacity > 0.35
    shift = max(size // 20, 1)
    shadow = np.zeros((size, size), bool)
    shadow[shift:, shift:] = casting[:-shift, :-shift]
    return Sky(opacity, shadow & (opacity <= 0.1))


def seen_from_above(ground: np.ndarray, sky: Sky) -> np.ndarray:
    """What the satellite measures: the ground, darkened in shadows, veiled by clouds."""
    shaded = np.where(sky.shadow, ground * 0.35, ground)
    return shaded * (1 - sky.opacity) + _CLOUD[:, None, None] * sky.opacity


def scene_classification(land: Landscape, green: np.ndarray, sky: Sky) -> np.ndarray:
    """SCL as Sentinel-2 L2A has it: land cover where the ground is seen, else cloud or shadow."""
    scl = np.full(land.cover.shape, SCL["bare"], np.uint8)
    scl[green >= _VEGETATED] = SCL["vegetation"]
    scl[land.cover == LAND_COVER["water"]] = SCL["water"]
    scl[sky.shadow] = SCL["shadow"]
    scl[sky.opacity > 0.1] = SCL["cirrus"]
    scl[sky.opacity > 0.35] = SCL["cloud_medium"]
    scl[sky.opacity > 0.7] = SCL["cloud_high"]
    return scl
