"""Thumbnails of raster results: PNG, at most 256 pixels on the longer side, nodata transparent."""

from __future__ import annotations

import numpy as np
import rasterio
from rasterio.transform import from_origin

from openeo_gip.demodata import synthetic
from openeo_gip.jobs.thumbnails import MAX_EDGE, write_thumbnail


def test_a_large_geotiff_gets_a_small_grey_thumbnail_with_transparent_nodata(tmp_path):
    values = np.arange(300 * 600, dtype="float32").reshape(300, 600)
    values[:, :300] = np.nan  # the western half has no data
    path = tmp_path / "result.tif"
    synthetic.write_cog(path, values, from_origin(600000, 5000000, 10, 10), "EPSG:32631", np.nan, "B04")

    thumbnail = write_thumbnail(path)

    assert thumbnail == tmp_path / "result.thumbnail.png"
    assert thumbnail.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with rasterio.open(thumbnail) as picture:
        assert (picture.width, picture.height, picture.count) == (MAX_EDGE, MAX_EDGE // 2, 2)
        grey, alpha = picture.read()
    assert (alpha[:, : MAX_EDGE // 2] == 0).all() and (alpha[:, MAX_EDGE // 2 :] == 255).all()
    assert grey[:, MAX_EDGE // 2 :].min() == 0 and grey[:, MAX_EDGE // 2 :].max() == 255  # stretched


def test_three_bands_make_a_colour_thumbnail(tmp_path):
    path = tmp_path / "rgb.tif"
    profile = {"driver": "GTiff", "width": 40, "height": 20, "count": 4, "dtype": "uint8"}
    with rasterio.open(path, "w", **profile) as target:
        target.write(np.stack([np.full((20, 40), value, dtype="uint8") for value in (10, 20, 30, 40)]))
    with rasterio.open(write_thumbnail(path)) as picture:
        assert (picture.width, picture.height, picture.count) == (40, 20, 4)  # red, green, blue, alpha
        pixels = picture.read()
    # The first three bands as they are (values within 0..255 are not stretched), the fourth left out.
    assert [set(np.unique(band)) for band in pixels] == [{10}, {20}, {30}, {255}]
