"""A static STAC Collection written with pystac around synthetic Sentinel-2 COGs, with relative hrefs so the
same folder works read from disk and served over HTTP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pystac
from pyproj import Transformer

from openeo_gip.demodata import synthetic

BANDS = ("B04", "B08", "SCL")
EO_EXTENSION = "https://stac-extensions.github.io/eo/v1.1.0/schema.json"
COMMON_NAMES = {"B04": "red", "B08": "nir"}


def wgs84_bounds(demo: synthetic.Sentinel2Demo) -> list[float]:
    to_lonlat = Transformer.from_crs(demo.crs, 4326, always_xy=True)
    return list(to_lonlat.transform_bounds(*demo.bounds, densify_pts=21))


def write_stac_collection(folder: Path, dates: list[dt.date], size: int = 32) -> synthetic.Sentinel2Demo:
    """``folder/collection.json`` with one item per date (assets B04, B08, SCL with ``eo:bands`` and a
    thumbnail that is no data), ``eo:cloud_cover`` per item; the COGs in ``folder/cogs``."""
    demo = synthetic.write_sentinel2_demo(
        folder / "cogs", size=size, dates=dates, blocksize=16, sidecar=False
    )
    bbox = wgs84_bounds(demo)
    collection = pystac.Collection(
        id="s2-test",
        description="Synthetic Sentinel-2 for load_stac tests",
        extent=pystac.Extent(
            pystac.SpatialExtent([bbox]),
            pystac.TemporalExtent([[_utc(dates[0]), _utc(dates[-1])]]),
        ),
        license="CC0-1.0",
    )
    for index, day in enumerate(dates):
        item = pystac.Item(
            id=f"s2-{day:%Y%m%d}",
            geometry=_polygon(bbox),
            bbox=bbox,
            datetime=_utc(day),
            properties={"eo:cloud_cover": demo.cloud_cover(index), "platform": "sentinel-2x"},
            stac_extensions=[EO_EXTENSION],
        )
        for band in BANDS:
            entry = {"name": band} | ({"common_name": COMMON_NAMES[band]} if band in COMMON_NAMES else {})
            item.add_asset(
                band,
                pystac.Asset(
                    str(demo.path(band, index)),
                    media_type=pystac.MediaType.COG,
                    roles=["data"],
                    extra_fields={"eo:bands": [entry]},
                ),
            )
        item.add_asset(
            "thumbnail", pystac.Asset("thumb.png", media_type=pystac.MediaType.PNG, roles=["thumbnail"])
        )
        collection.add_item(item)
    collection.normalize_hrefs(str(folder))
    collection.make_all_asset_hrefs_relative()
    collection.save(pystac.CatalogType.SELF_CONTAINED)
    return demo


def point_item(hrefs: dict[str, str]) -> dict:
    """A minimal STAC item (a point in Belgium, 2024-05-01) with one GeoTIFF data asset per key -> href."""
    assets = {key: {"href": href, "type": "image/tiff", "roles": ["data"]} for key, href in hrefs.items()}
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "scene",
        "geometry": {"type": "Point", "coordinates": [4.4, 51.4]},
        "bbox": [4.4, 51.4, 4.4, 51.4],
        "properties": {"datetime": "2024-05-01T00:00:00Z"},
        "links": [],
        "assets": assets,
    }


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _polygon(bbox: list[float]) -> dict:
    west, south, east, north = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}
