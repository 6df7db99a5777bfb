"""Batch job results as STAC: an item per result file with its dates, grid, bands and thumbnail, every
document valid under the STAC core schemas (offline), items readable through their signed links alone."""

from __future__ import annotations

import numpy as np
import openeo
import pytest
import rasterio
import requests

from tests.conftest import PASSWORD
from tests.support.stac_schemas import assert_valid_stac

pytestmark = pytest.mark.slow


def _finished_job(server, cube, out_format: str) -> openeo.BatchJob:
    job = cube.save_result(format=out_format).create_job()
    job.start_and_wait(max_poll_interval=0.3)
    assert job.status() == "finished"
    return job


def _items(collection: dict) -> list[dict]:
    """Each item the collection links, fetched without a login (the signed link is the key)."""
    items = []
    for link in collection["links"]:
        if link["rel"] == "item":
            response = requests.get(link["href"], timeout=30)
            assert response.status_code == 200, response.text
            items.append(response.json())
    return items


def _stamp(date) -> str:
    return f"{date:%Y-%m-%d}T00:00:00Z"


def test_per_date_geotiffs_are_items_with_dates_grid_bands_and_thumbnails(server, alice, s2):
    connection = openeo.connect(server.url).authenticate_basic("alice", PASSWORD)
    job = _finished_job(server, connection.load_collection("S2", bands=["B04", "B08"]), "GTiff")
    results = job.get_results()
    collection = results.get_metadata()
    assert_valid_stac(collection)
    # The client downloads the collection's assets: the data files, no thumbnails.
    assert sorted(asset.key for asset in results.get_assets()) == [
        f"result_{date:%Y-%m-%d}.tif" for date in s2.dates
    ]
    assert collection["extent"]["temporal"]["interval"] == [[_stamp(s2.dates[0]), _stamp(s2.dates[-1])]]

    items = sorted(_items(collection), key=lambda item: item["properties"]["datetime"])
    assert [item["properties"]["datetime"] for item in items] == [_stamp(date) for date in s2.dates]
    for index, item in enumerate(items):
        assert_valid_stac(item)
        assert item["collection"] == job.job_id
        data = item["assets"]["data"]
        assert [band["name"] for band in data["raster:bands"]] == ["B04", "B08"]
        assert [band["name"] for band in data["eo:bands"]] == ["B04", "B08"]
        assert data["proj:code"] == "EPSG:32631" and data["proj:shape"] == [32, 32]
        assert data["proj:transform"] == list(s2.transform)[:6]
        assert data["proj:bbox"] == list(s2.bounds)
        west, south, east, north = item["bbox"]
        assert 2.0 < west < east < 5.0 and 50.0 < south < north < 52.0  # WGS 84, UTM 31N near Belgium
        assert item["geometry"]["coordinates"][0][0] == [west, south]
        with rasterio.MemoryFile(requests.get(data["href"], timeout=30).content) as memory:
            with memory.open() as tif:
                assert tif.tags()["datetime"] == _stamp(s2.dates[index])

        thumbnail = item["assets"]["thumbnail"]
        assert thumbnail["roles"] == ["thumbnail"] and thumbnail["type"] == "image/png"
        png = requests.get(thumbnail["href"], timeout=30)
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        with rasterio.MemoryFile(png.content) as memory, memory.open() as picture:
            assert (picture.width, picture.height, picture.count) == (32, 32, 2)  # grey and alpha
            alpha = picture.read(2)
        expected_opaque = np.where(s2.array("B04", index) == 0, 0, 255)  # the source's nodata is 0
        np.testing.assert_array_equal(alpha, expected_opaque)


def test_a_netcdf_over_dates_is_one_item_spanning_them_with_its_variables_as_bands(server, alice, s2):
    connection = openeo.connect(server.url).authenticate_basic("alice", PASSWORD)
    job = _finished_job(server, connection.load_collection("S2", bands=["B04"]), "netCDF")
    collection = job.get_results().get_metadata()
    assert_valid_stac(collection)
    span = [_stamp(s2.dates[0]), _stamp(s2.dates[-1])]
    assert collection["extent"]["temporal"]["interval"] == [span]
    (asset,) = collection["assets"].values()
    assert [band["name"] for band in asset["raster:bands"]] == ["B04"]  # one variable, not a band per date

    (item,) = _items(collection)
    assert_valid_stac(item)
    properties = item["properties"]
    assert properties["datetime"] is None
    assert [properties["start_datetime"], properties["end_datetime"]] == span
    assert [band["name"] for band in item["assets"]["data"]["eo:bands"]] == ["B04"]
    assert item["assets"]["data"]["proj:shape"] == [32, 32]
    assert requests.get(item["assets"]["thumbnail"]["href"], timeout=30).content[:4] == b"\x89PNG"


def test_a_result_without_dates_gets_the_finishing_time_and_leaves_the_extent_open(server, alice, s2):
    connection = openeo.connect(server.url).authenticate_basic("alice", PASSWORD)
    cube = connection.load_collection("S2", bands=["B08"]).reduce_dimension(dimension="t", reducer="mean")
    job = _finished_job(server, cube, "GTiff")
    collection = job.get_results().get_metadata()
    assert_valid_stac(collection)
    assert collection["extent"]["temporal"]["interval"] == [[None, None]]
    (item,) = _items(collection)
    assert_valid_stac(item)
    assert item["properties"]["datetime"] >= job.describe()["created"]
    assert [band["name"] for band in item["assets"]["data"]["raster:bands"]] == ["B08"]
