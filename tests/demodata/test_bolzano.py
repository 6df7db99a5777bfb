"""The synthetic Sentinel-2 collection near Bolzano lies where and when the official openeo-test-suite's
workflow tests load Sentinel-2 L2A, read through the real catalogue and reader as the server reads it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from openeo_gip.catalog.metadata import collection_document
from openeo_gip.demodata import synthetic
from openeo_gip.raster.reader import load_cube
from tests.support.catalogs import scan

# The extents of openeo_test_suite.lib.workflows.parameters (openeo-test-suite 0.2).
SUITE_BOX = {"west": 679720, "east": 680680, "south": 5151080, "north": 5151920, "crs": "EPSG:32632"}
SUITE_MONTH = ("2022-06-01", "2022-07-01")
SUITE_ONE_DAY = ("2022-06-01", "2022-06-03")


@pytest.fixture(scope="module")
def bolzano(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    demo = synthetic.write_bolzano_demo(root / synthetic.BOLZANO_ID)
    record = scan(root, tmp_path_factory.mktemp("system")).get(synthetic.BOLZANO_ID)
    return demo, record


def test_collection_is_described_as_synthetic_sentinel2_in_utm32(bolzano):
    _, record = bolzano
    doc = collection_document(record, "http://test")
    assert "synthetic" in doc["title"].lower() and "synthetic" in doc["description"].lower()
    assert doc["summaries"]["proj:epsg"] == [32632]
    bands = {band["name"]: band for band in doc["summaries"]["eo:bands"]}
    assert {"B02", "B03", "B04", "B08", "SCL"} <= set(bands)
    assert bands["B04"]["common_name"] == "red" and bands["B08"]["common_name"] == "nir"
    assert bands["B04"]["center_wavelength"] == 0.665 and bands["B08"]["center_wavelength"] == 0.842
    x_extent, y_extent = doc["cube:dimensions"]["x"]["extent"], doc["cube:dimensions"]["y"]["extent"]
    assert x_extent[0] <= SUITE_BOX["west"] and x_extent[1] >= SUITE_BOX["east"]
    assert y_extent[0] <= SUITE_BOX["south"] and y_extent[1] >= SUITE_BOX["north"]
    assert doc["cube:dimensions"]["x"]["step"] == 10.0


def test_the_suite_box_is_read_whole_at_10_m(bolzano):
    _, record = bolzano
    cube = load_cube(record, spatial_extent=SUITE_BOX, temporal_extent=SUITE_ONE_DAY, bands=["B04"])
    assert cube.sizes["x"] == 96 and cube.sizes["y"] == 84
    assert float(cube.x.min()) - 5 == SUITE_BOX["west"] and float(cube.x.max()) + 5 == SUITE_BOX["east"]
    assert float(cube.y.min()) - 5 == SUITE_BOX["south"] and float(cube.y.max()) + 5 == SUITE_BOX["north"]
    assert not np.isnan(cube.values).any()  # no orbit edge, no nodata where the suite looks


def test_one_scene_in_the_first_days_and_five_iso_weeks_in_june(bolzano):
    _, record = bolzano
    one_day = load_cube(record, spatial_extent=SUITE_BOX, temporal_extent=SUITE_ONE_DAY, bands=["B04"])
    assert one_day.sizes["t"] == 1
    june = load_cube(record, spatial_extent=SUITE_BOX, temporal_extent=SUITE_MONTH, bands=["B04"])
    days = [dt.date.fromisoformat(str(t)[:10]) for t in june.t.values]
    assert all(day.month == 6 and day.year == 2022 for day in days)
    assert len({day.isocalendar().week for day in days}) >= 5


def test_ndvi_on_the_first_day_exceeds_075_somewhere_but_not_everywhere(bolzano):
    demo, record = bolzano
    cube = load_cube(record, spatial_extent=SUITE_BOX, temporal_extent=SUITE_ONE_DAY, bands=["B04", "B08"])
    red, nir = cube.sel(bands="B04").values[0], cube.sel(bands="B08").values[0]
    ndvi = (nir - red) / (nir + red)
    assert 0 < np.mean(ndvi > 0.75) < 1
    # The reader returns what the generator stored.
    np.testing.assert_array_equal(red, demo.array("B04", 0)[18:102, 12:108])
