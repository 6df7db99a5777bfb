"""load_collection on a real folder of COGs (written by the project's GTiff writer), scanned by the
catalogue, then the benchmark chain ndvi -> mean over time -> GTiff, checked against numpy."""

from __future__ import annotations

import dataclasses
import types
import warnings

import numpy as np
import pyproj
import pytest
import rasterio

from openeo_gip.catalog.catalog import Catalog
from openeo_gip.catalog.index import index_path, refresh_index
from openeo_gip.errors import ApiError
from openeo_gip.formats import write_result
from openeo_gip.model.dates import rfc3339
from openeo_gip.model.values import ProcessContext, SaveRequest
from openeo_gip.processes.cube.bands import ndvi
from openeo_gip.processes.cube.reduce import reduce_dimension
from openeo_gip.processes.load.collection import cube_from_record, load_collection
from openeo_gip.raster.grid import wgs84_bbox
from tests.support.cube_builders import CRS, ORIGIN_X, ORIGIN_Y, make_cube, mean_reducer

SIDECAR = """
title = "Test scenes"
[bands.B04]
common_name = "red"
[bands.B08]
common_name = "nir"
"""


@pytest.fixture
def collection(tmp_path):
    """Folder ``S2`` with one 3-band COG per date, and a context whose catalogue has scanned it."""
    cube = make_cube(height=40, width=30, seed=3)
    folder = tmp_path / "data" / "S2"
    write_result(SaveRequest(cube, "GTiff", {"tile_size": 16}), folder)
    (folder / "collection.toml").write_text(SIDECAR, encoding="utf-8")
    refresh_index(tmp_path / "data", tmp_path / "system")
    services = types.SimpleNamespace(catalog=Catalog(index_path(tmp_path / "system")))
    return cube, ProcessContext(services=services)


def test_load_collection_with_extents_and_bands(collection):
    source, ctx = collection
    to_lonlat = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)
    west, north = to_lonlat.transform(ORIGIN_X + 52, ORIGIN_Y - 101)
    east, south = to_lonlat.transform(ORIGIN_X + 148, ORIGIN_Y - 199)
    spatial = {"west": west, "south": south, "east": east, "north": north}
    cube = load_collection("S2", spatial, ["2021-01-10", "2021-03-01"], ["nir", "B04"], ctx=ctx)
    assert list(cube["bands"].values) == ["B08", "B04"]
    assert list(cube["common_name"].values) == ["nir", "red"]
    x, y = source["x"].values, source["y"].values
    to_utm = pyproj.Transformer.from_crs(4326, CRS, always_xy=True)
    box = to_utm.transform_bounds(west, south, east, north, densify_pts=21)
    keep_x = (x >= box[0]) & (x <= box[2])
    keep_y = (y >= box[1]) & (y <= box[3])
    np.testing.assert_allclose(cube["x"].values, x[keep_x])
    np.testing.assert_allclose(cube["y"].values, y[keep_y])
    expected = source.values[1:3][:, [2, 1]][:, :, keep_y][:, :, :, keep_x]
    np.testing.assert_array_equal(cube.values, expected)


def test_loaded_bands_carry_wavelengths_only_when_every_band_has_one(collection):
    _, ctx = collection
    record = ctx.services.catalog.get("S2")

    def load(record):
        return cube_from_record(
            record, None, None, ["B08", "B02"], None, process_id="load_collection", what="S2", ctx=ctx
        )

    cube = load(record)
    assert list(cube["common_name"].values) == ["nir", "blue"]
    assert cube["center_wavelength"].dims == ("bands",)
    assert list(cube["center_wavelength"].values) == [0.842, 0.49]
    unknown = [dataclasses.replace(b, center_wavelength=None) if b.name == "B02" else b for b in record.bands]
    cube = load(dataclasses.replace(record, bands=unknown))
    assert list(cube["common_name"].values) == ["nir", "blue"]
    assert "center_wavelength" not in cube.coords


def test_load_collection_errors(collection):
    _, ctx = collection
    with pytest.raises(ApiError) as error:
        load_collection("nothing", None, None, ctx=ctx)
    assert error.value.code == "CollectionNotFound"
    with pytest.raises(ApiError) as error:
        load_collection("S2", None, ["2021-03-01", "2021-01-01"], ctx=ctx)
    assert error.value.code == "TemporalExtentEmpty"
    with pytest.raises(ApiError) as error:
        load_collection("S2", None, ["2030-01-01", "2031-01-01"], ctx=ctx)
    assert error.value.code == "NoDataAvailable"
    # The message says what the collection does cover, in the terms of the request.
    source, _ = collection
    record = ctx.services.catalog.get("S2")
    west, south, east, north = wgs84_bbox(record.grid)
    first, last = (rfc3339(source["t"].values[i]) for i in (0, -1))
    assert f"It covers west {west:.5g}, south {south:.5g}, east {east:.5g}, north {north:.5g}" in (
        error.value.message
    )
    assert error.value.message.endswith(f"from {first} to {last}.")


def test_ndvi_mean_over_time_to_gtiff_matches_numpy(collection, tmp_path):
    source, ctx = collection
    cube = load_collection("S2", None, None, ctx=ctx)
    index = ndvi(cube)
    mean = reduce_dimension(index, mean_reducer(), "t")
    (path,) = write_result(SaveRequest(mean, "GTiff", {}), tmp_path / "out")
    red, nir = source.values[:, 1], source.values[:, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmean((nir - red) / (nir + red), axis=0)
    with rasterio.open(path) as result:
        np.testing.assert_allclose(result.read(1), expected, rtol=1e-5)
        assert result.crs == rasterio.crs.CRS.from_user_input(CRS)
