"""The stored description of a collection: what a scan found, everything a request or a read needs.

Plain dataclasses that turn into JSON and back, so the scan result can be kept on disk and a request never
looks at the rasters themselves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from affine import Affine
from rasterio.crs import CRS


@dataclass
class Grid:
    """A raster grid: CRS (``EPSG:n`` when it has a code, WKT otherwise), affine transform and size."""

    crs: str
    transform: list[float]  # a, b, c, d, e, f of the affine transform (GDAL order of rasterio)
    width: int
    height: int

    @property
    def affine(self) -> Affine:
        return Affine(*self.transform[:6])

    @property
    def rio_crs(self) -> CRS:
        return CRS.from_user_input(self.crs)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in the grid's CRS."""
        a = self.affine
        xs = [a.c, a.c + a.a * self.width]
        ys = [a.f, a.f + a.e * self.height]
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def resolution(self) -> tuple[float, float]:
        return abs(self.transform[0]), abs(self.transform[4])

    def x_coords(self) -> np.ndarray:
        a = self.affine
        return a.c + a.a * (np.arange(self.width) + 0.5)

    def y_coords(self) -> np.ndarray:
        a = self.affine
        return a.f + a.e * (np.arange(self.height) + 0.5)


@dataclass
class Asset:
    """One band of one file: where to read it (a GDAL path) and how to turn its numbers into values."""

    href: str
    index: int  # 1-based band index in the GDAL dataset
    grid: Grid
    block: tuple[int, int] = (256, 256)  # internal tile (rows, cols)
    dtype: str = "float32"
    nodata: float | None = None
    scale: float = 1.0
    offset: float = 0.0


@dataclass
class BandInfo:
    name: str
    common_name: str | None = None
    center_wavelength: float | None = None  # micrometres, as in eo:bands
    description: str | None = None
    resolution: float | None = None  # of the band's own files in their CRS units, where bands differ


@dataclass
class Item:
    """Everything observed at one time (``datetime`` None for timeless data): band -> files (tiles)."""

    datetime: str | None
    assets: dict[str, list[Asset]] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class CollectionRecord:
    id: str
    kind: str  # "folder", "file", "stac" or "products" (catalog/products.py)
    source: str  # the folder or file it came from
    grid: Grid
    bands: list[BandInfo]
    items: list[Item]
    title: str | None = None
    description: str = ""
    license: str = "proprietary"
    keywords: list[str] = field(default_factory=list)
    providers: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    # For STAC sources: the original Collection document, served as is and completed where missing.
    stac: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    # The user whose workspace holds this collection (catalog/private.py); None for shared data.
    owner: str | None = None

    @property
    def band_names(self) -> list[str]:
        return [band.name for band in self.bands]

    @property
    def has_time(self) -> bool:
        return any(item.datetime is not None for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CollectionRecord:
        data = dict(data)
        data["grid"] = Grid(**data["grid"])
        data["bands"] = [BandInfo(**band) for band in data["bands"]]
        data["items"] = [_item_from_dict(item) for item in data["items"]]
        return cls(**data)


def _item_from_dict(data: dict[str, Any]) -> Item:
    assets = {band: [_asset_from_dict(asset) for asset in assets] for band, assets in data["assets"].items()}
    return Item(datetime=data["datetime"], assets=assets, properties=data.get("properties", {}))


def _asset_from_dict(data: dict[str, Any]) -> Asset:
    data = dict(data)
    data["grid"] = Grid(**data["grid"])
    data["block"] = tuple(data["block"])
    return Asset(**data)


def crs_string(crs: CRS) -> str:
    """``EPSG:n`` when the CRS has an EPSG code, else its WKT."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()
