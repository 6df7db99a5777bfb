"""A GTiff of several dates: synchronously one GeoTIFF whose bands are date x band, never a ZIP."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import rasterio
import requests

from tests.jobs.conftest import load_graph

pytestmark = pytest.mark.slow


def _masked(array: np.ndarray) -> np.ndarray:
    values = array.astype("float32")
    values[array == 0] = np.nan  # nodata of the source
    return values


def test_sync_multi_date_gtiff_is_one_geotiff_with_a_band_per_date_and_band(connection, s2, tmp_path):
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    path = tmp_path / "a.tif"
    cube.download(path, format="GTiff")
    with rasterio.open(path) as tif:
        assert tif.driver == "GTiff"
        descriptions, values = list(tif.descriptions), tif.read()
        tags = tif.tags()
    expected_names = [f"{date:%Y-%m-%d}/{band}" for date in s2.dates for band in ("B04", "B08")]
    assert descriptions == expected_names
    for index, name in enumerate(expected_names):
        date, band = name.split("/")
        date_index = s2.dates.index(dt.date.fromisoformat(date))
        np.testing.assert_array_equal(values[index], _masked(s2.array(band, date_index)))
    assert tags["start_datetime"] == f"{s2.dates[0]:%Y-%m-%d}T00:00:00Z"
    assert tags["end_datetime"] == f"{s2.dates[-1]:%Y-%m-%d}T00:00:00Z"
    # /file_formats says so.
    assert "`2022-06-01/B04`" in connection.list_output_formats()["GTiff"]["description"]


def test_the_download_name_matches_the_content(server, alice_headers, s2):
    """A GTiff of several dates is sent as a .tif of GeoTIFF type (several save_result calls are a ZIP
    named .zip: test_sync_and_batch_alike.py)."""
    single = requests.post(f"{server.url}/result", json={"process": load_graph()}, headers=alice_headers)
    assert single.status_code == 200, single.text
    assert single.headers["Content-Type"].startswith("image/tiff")
    assert "filename=result.tif" in single.headers["Content-Disposition"]
    assert single.content[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00")
