"""filter_bbox, filter_temporal, filter_bands, filter_labels, filter_spatial on small cubes."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from openeo_gip.errors import ApiError
from openeo_gip.model.values import Callback
from openeo_gip.processes.cube.filter import (
    filter_bands,
    filter_bbox,
    filter_labels,
    filter_spatial,
    filter_temporal,
)
from tests.support.cube_builders import CRS, ORIGIN_X, ORIGIN_Y, make_cube


def test_filter_bbox_in_cube_crs_keeps_pixel_centres_inside():
    cube = make_cube()
    extent = {"west": ORIGIN_X + 10, "east": ORIGIN_X + 30, "south": ORIGIN_Y - 40, "north": ORIGIN_Y - 9}
    out = filter_bbox(cube, {**extent, "crs": 32631})
    x, y = cube["x"].values, cube["y"].values
    keep_x = (x >= extent["west"]) & (x <= extent["east"])
    keep_y = (y >= extent["south"]) & (y <= extent["north"])
    np.testing.assert_array_equal(out["x"].values, x[keep_x])
    np.testing.assert_array_equal(out["y"].values, y[keep_y])
    expected = cube.values[:, :, keep_y][:, :, :, keep_x]
    np.testing.assert_array_equal(out.values, expected)
    assert out.rio.crs == pyproj.CRS.from_user_input(CRS)


def test_filter_bbox_reprojects_a_wgs84_extent():
    cube = make_cube()
    to_lonlat = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)
    # A lon/lat box around the centres of columns 1..2 and rows 2..3, computed from the grid itself.
    west, north = to_lonlat.transform(ORIGIN_X + 12, ORIGIN_Y - 22)
    east, south = to_lonlat.transform(ORIGIN_X + 28, ORIGIN_Y - 38)
    out = filter_bbox(cube, {"west": west, "east": east, "south": south, "north": north})
    assert list(out["x"].values) == [ORIGIN_X + 15, ORIGIN_X + 25]
    assert list(out["y"].values) == [ORIGIN_Y - 25, ORIGIN_Y - 35]


def test_filter_bbox_rejects_inverted_extent():
    with pytest.raises(ApiError) as error:
        filter_bbox(make_cube(), {"west": 10, "east": 0, "south": 0, "north": 1})
    assert error.value.code == "ProcessParameterInvalid"


def test_filter_temporal_is_left_closed_and_accepts_open_ends():
    cube = make_cube()
    out = filter_temporal(cube, ["2021-01-20", "2021-04-11"])
    assert [str(v)[:10] for v in out["t"].values] == ["2021-01-20", "2021-02-03"]
    np.testing.assert_array_equal(out.values, cube.values[1:3])
    assert filter_temporal(cube, [None, "2021-01-06T00:00:00Z"]).sizes["t"] == 1
    assert filter_temporal(cube, ["2021-02-01", None]).sizes["t"] == 2


@pytest.mark.parametrize(
    ("extent", "dimension", "code"),
    [
        (["2021-02-01", "2021-01-01"], None, "TemporalExtentEmpty"),
        (["2021-01-01", "2021-02-01"], "time", "DimensionNotAvailable"),
        ([None, None], None, "ProcessParameterInvalid"),
    ],
)
def test_filter_temporal_errors(extent, dimension, code):
    with pytest.raises(ApiError) as error:
        filter_temporal(make_cube(), extent, dimension)
    assert error.value.code == code
    assert error.value.status == 400


def test_filter_bands_by_name_and_common_name_in_requested_order():
    cube = make_cube(common_names=("blue", "red", "nir"))
    out = filter_bands(cube, ["nir", "B02"])
    assert list(out["bands"].values) == ["B08", "B02"]
    np.testing.assert_array_equal(out.values, cube.values[:, [2, 0]])


def test_filter_bands_errors():
    with pytest.raises(ApiError) as missing:
        filter_bands(make_cube(), [], [])
    assert missing.value.code == "BandFilterParameterMissing"
    with pytest.raises(ApiError) as no_bands:
        filter_bands(make_cube().isel(bands=0, drop=True), ["B02"])
    assert no_bands.value.code == "DimensionMissing"


def test_filter_labels_with_a_condition_on_labels():
    cube = make_cube()
    condition = Callback(lambda value, context=None: value != context)
    out = filter_labels(cube, condition, "bands", context="B04")
    assert list(out["bands"].values) == ["B02", "B08"]
    dates = filter_labels(cube, Callback(lambda value, context=None: value.startswith("2021-01")), "t")
    assert dates.sizes["t"] == 2


def test_filter_spatial_masks_outside_the_polygon_and_crops_to_its_bbox():
    cube = make_cube(nan_fraction=0.0)
    to_lonlat = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)
    corners = [(ORIGIN_X + 1, ORIGIN_Y - 1), (ORIGIN_X + 44, ORIGIN_Y - 1), (ORIGIN_X + 1, ORIGIN_Y - 44)]
    ring = [list(to_lonlat.transform(x, y)) for x, y in corners]
    polygon = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    out = filter_spatial(cube, {"type": "Feature", "properties": {}, "geometry": polygon})
    assert out.sizes["x"] == 4 and out.sizes["y"] == 4
    triangle = shapely.Polygon(corners)
    inside = np.array(
        [[triangle.contains(shapely.Point(x, y)) for x in out["x"].values] for y in out["y"].values]
    )
    assert inside.sum() == 10  # the centres with column + row <= 3
    values = out.isel(t=0, bands=0).values
    assert np.isnan(values[~inside]).all()
    np.testing.assert_array_equal(values[inside], cube.isel(t=0, bands=0).values[:4, :4][inside])
