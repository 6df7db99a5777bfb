"""From values to a map tile: one band through a colour ramp, or three bands as red, green and blue,
stretched over a value range; no-data (NaN) transparent. The tile is an RGBA PNG.

``render_png(values, style)`` is the one entry: ``values`` is ``(bands, rows, cols)`` float with NaN for
no-data, as ``layer.py`` and ``job_preview.py`` make it.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

from openeo_gip.services.tiles import TILE_SIZE

# A few colour ramps as (position, red, green, blue) stops, interpolated linearly in between.
RAMPS: dict[str, list[tuple[float, int, int, int]]] = {
    "greys": [(0.0, 0, 0, 0), (1.0, 255, 255, 255)],
    "viridis": [
        (0.0, 68, 1, 84),
        (0.25, 59, 82, 139),
        (0.5, 33, 145, 140),
        (0.75, 94, 201, 98),
        (1.0, 253, 231, 37),
    ],
    "terrain": [
        (0.0, 51, 51, 153),
        (0.15, 0, 153, 255),
        (0.25, 0, 204, 102),
        (0.5, 255, 255, 153),
        (0.75, 128, 92, 84),
        (1.0, 255, 255, 255),
    ],
    "rdylgn": [
        (0.0, 165, 0, 38),
        (0.25, 244, 109, 67),
        (0.5, 255, 255, 191),
        (0.75, 102, 189, 99),
        (1.0, 0, 104, 55),
    ],
}


# zlib level of the tiles: 1 encodes a tile of measured data about 3x faster than GDAL's default 6, for
# files a few per cent larger (noisy pixels hardly compress at any level; bench/README.md, "Map tiles").
PNG_ZLEVEL = 1


@dataclass(frozen=True)
class Style:
    """How values become colours (the service's configuration, checked by ``types.py``)."""

    colormap: str = "viridis"
    # The values drawn as the first and last colour; ``None``: the tile's own smallest and largest value.
    min: float | None = None
    max: float | None = None


@functools.cache
def colour_table(name: str) -> np.ndarray:
    """256 x 3 uint8 colours of ramp ``name``."""
    stops = np.array(RAMPS[name], dtype=float)
    positions = np.linspace(0.0, 1.0, 256)
    channels = [np.interp(positions, stops[:, 0], stops[:, channel]) for channel in (1, 2, 3)]
    return np.round(np.stack(channels, axis=1)).astype(np.uint8)


def _levels(values: np.ndarray, style: Style) -> np.ndarray:
    """``values`` stretched to 0..255 over the style's range (NaN stays NaN)."""
    low, high = style.min, style.max
    if low is None or high is None:
        with warnings.catch_warnings():  # an all-NaN tile has no range; it is transparent anyway
            warnings.simplefilter("ignore", RuntimeWarning)
            low = float(np.nanmin(values)) if low is None else low
            high = float(np.nanmax(values)) if high is None else high
    span = high - low if np.isfinite(high - low) and high != low else 1.0
    return np.clip((values - low) / span, 0.0, 1.0) * 255.0


def rgba(values: np.ndarray, style: Style) -> np.ndarray:
    """``(4, rows, cols)`` uint8 colours of one band (colour ramp) or three (red, green, blue)."""
    if values.ndim != 3 or values.shape[0] not in (1, 3):
        raise ValueError(f"expected 1 or 3 bands, got the shape {values.shape}")
    values = values.astype(np.float64)
    valid = ~np.isnan(values).any(axis=0)
    levels = np.nan_to_num(_levels(values, style), nan=0.0)
    if values.shape[0] == 1:
        colours = colour_table(style.colormap)[np.round(levels[0]).astype(np.uint8)]
        channels = np.moveaxis(colours, -1, 0)
    else:
        channels = np.round(levels).astype(np.uint8)
    alpha = np.where(valid, 255, 0).astype(np.uint8)
    return np.concatenate([channels, alpha[np.newaxis]]).astype(np.uint8)


def png(image: np.ndarray) -> bytes:
    """A PNG, without georeference, of ``(bands, rows, cols)`` uint8 (RGBA for tiles, grey and alpha too)."""
    bands, rows, cols = image.shape
    with warnings.catch_warnings(), MemoryFile() as memory:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a tile's place is in its address
        with memory.open(
            driver="PNG", width=cols, height=rows, count=bands, dtype="uint8", zlevel=PNG_ZLEVEL
        ) as target:
            target.write(image)
        return memory.read()


def render_png(values: np.ndarray, style: Style) -> bytes:
    """The PNG tile of ``values`` (``(bands, rows, cols)``, NaN for no-data) drawn with ``style``."""
    return png(rgba(values, style))


@functools.cache
def transparent_png(pixels: int = TILE_SIZE) -> bytes:
    """A tile with nothing on it: outside the data."""
    return png(np.zeros((4, pixels, pixels), dtype=np.uint8))
