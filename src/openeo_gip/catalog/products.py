"""Satellite products as collections: a folder of Sentinel-2 ``.SAFE`` products, or of Landsat 8/9
Collection 2 products, is one collection whose items are the products.

Each product kind has a module that reads its metadata (``sentinel2.py``, ``landsat.py``) into a
``Product`` (``product_parts.py``): its time, item properties, and per band the file, the layer, nodata,
scale and offset. This module turns the products of one folder into a ``CollectionRecord``; the band files
are plain rasters (JPEG 2000 or GeoTIFF), so the reader (``raster/reader.py``) reads them lazily like any
other file, warping the 20 and 60 m bands onto the collection's finest grid.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

from openeo_gip.catalog import landsat, sentinel2
from openeo_gip.catalog.product_parts import Product, ProductBand
from openeo_gip.raster.grid import common_grid
from openeo_gip.raster.headers import BandHeader, read_headers
from openeo_gip.raster.records import Asset, BandInfo, CollectionRecord, Item

log = logging.getLogger(__name__)


# How each kind of product is recognised (by its folder's name) and read.
_READERS: list[tuple[Callable[[Path], bool], Callable[[Path], Product]]] = [
    (sentinel2.is_safe, sentinel2.read_safe),
    (landsat.is_landsat, landsat.read_landsat),
]


def is_product(path: Path) -> bool:
    # The name first: the scan asks this of every file of every folder.
    return any(recognises(path) for recognises, _ in _READERS) and path.is_dir()


def product_folders(folder: Path) -> list[Path]:
    """The products a source folder stands for: itself when it is one, else the products directly in it."""
    if is_product(folder):
        return [folder]
    return sorted(child for child in folder.iterdir() if is_product(child))


def read_product(path: Path) -> Product:
    for recognises, read in _READERS:
        if recognises(path):
            return read(path)
    raise ValueError(f"{path.name} is not a product folder")


def products_record(record_id: str, folder: Path) -> CollectionRecord:
    """The collection of the products under ``folder``; ``ValueError`` when none can be read. Products of
    another kind than most of them, or that cannot be read, are left out and listed in ``problems``."""
    problems: list[str] = []
    products: list[Product] = []
    for path in product_folders(folder):
        try:
            products.append(read_product(path))
        except (ValueError, OSError, ElementTree.ParseError) as exc:
            problems.append(f"{path.name}: cannot be read ({exc})")
            log.warning("collection %s: skipping product %s: %s", record_id, path, exc)
    if not products:
        raise ValueError(f"{folder}: no readable product" + (f" ({problems[0]})" if problems else ""))
    kind = Counter(product.kind for product in products).most_common(1)[0][0]
    items: dict[str, Item] = {}
    bands: dict[str, BandInfo] = {}
    for product in products:
        if product.kind != kind:
            problems.append(f"{product.kind} product among {kind} products; left out")
            continue
        # Products of one time (neighbouring tiles of one overpass) are one item: the reader mosaics them.
        item = items.setdefault(product.datetime, Item(product.datetime, properties=dict(product.properties)))
        headers: dict[Path, list[BandHeader]] = {}
        for band in product.bands:
            if band.path not in headers:
                headers[band.path] = read_headers(band.path)
            asset = replace(
                headers[band.path][band.index - 1].asset,
                nodata=band.nodata,
                scale=band.scale,
                offset=band.offset,
            )
            item.assets.setdefault(band.name, []).append(asset)
            bands.setdefault(band.name, _band_info(band, asset))
    all_assets = [asset for item in items.values() for assets in item.assets.values() for asset in assets]
    return CollectionRecord(
        id=record_id,
        kind="products",
        source=str(folder),
        grid=common_grid(all_assets),
        bands=list(bands.values()),
        items=sorted(items.values(), key=lambda item: item.datetime or ""),
        title=f"{kind} products of {folder.name}",
        description=f"{kind} products read from the folder `{folder.name}`, one item per product.",
        problems=problems,
    )


def _band_info(band: ProductBand, asset: Asset) -> BandInfo:
    return BandInfo(
        name=band.name,
        common_name=band.common_name,
        center_wavelength=band.center_wavelength,
        description=band.description,
        resolution=asset.grid.resolution[0],
    )
