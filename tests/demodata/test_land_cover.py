"""The demo Sentinel-2 scenes look like a real place: each land cover class has the reflectance and NDVI of
its kind through a year, and clouds and shadows are where SCL says. Read through the real catalogue and
reader, as a user of the server gets them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from openeo_gip.demodata import synthetic
from openeo_gip.demodata.landscape import LAND_COVER, SCL
from openeo_gip.raster.reader import load_cube
from tests.support.catalogs import scan

DATES = synthetic.default_dates(46, dt.date(2023, 1, 3), 8)  # every 8 days: no season's peak is missed
CLEAR = (SCL["vegetation"], SCL["bare"], SCL["water"])
VEGETATION = ("forest", "grassland", "cropland")


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """(land cover, cube as {band: (t, y, x) array}) of a 64 x 64 demo over 2023."""
    root = tmp_path_factory.mktemp("data")
    demo = synthetic.write_sentinel2_demo(root / "S2", size=64, dates=DATES, blocksize=128)
    record = scan(root, tmp_path_factory.mktemp("system")).get("S2")
    cube = load_cube(record, bands=["B02", "B04", "B08", "SCL"]).compute()
    bands = {str(band): cube.sel(bands=band).values for band in cube.bands.values}
    return demo.land_cover(), bands


def _ndvi(bands: dict[str, np.ndarray]) -> np.ndarray:
    return (bands["B08"] - bands["B04"]) / (bands["B08"] + bands["B04"])


def _clear(bands: dict[str, np.ndarray]) -> np.ndarray:
    return np.isin(bands["SCL"], CLEAR)


def test_every_land_cover_class_is_in_the_scene(year):
    cover, _ = year
    for name, code in LAND_COVER.items():
        assert (cover == code).mean() > 0.01, name


def test_vegetation_peaks_with_ndvi_between_06_and_09(year):
    cover, bands = year
    peak = np.nanmax(np.where(_clear(bands), _ndvi(bands), np.nan), axis=0)
    for name in VEGETATION:
        pixels = peak[cover == LAND_COVER[name]]
        assert np.percentile(pixels, 2) >= 0.6 and pixels.max() <= 0.9, name


def test_fields_are_bare_in_winter_and_green_in_summer(year):
    cover, bands = year
    ndvi = np.where(_clear(bands), _ndvi(bands), np.nan)
    months = np.array([day.month for day in DATES])
    fields = cover == LAND_COVER["cropland"]
    winter = np.nanmean(ndvi[np.isin(months, (1, 12))][:, fields])
    summer = np.nanmean(ndvi[np.isin(months, (6, 7))][:, fields])
    assert winter < 0.3 and summer > 0.6
    # Forest stays green all year, greener in summer.
    forest = cover == LAND_COVER["forest"]
    forest_winter = np.nanmean(ndvi[np.isin(months, (1, 12))][:, forest])
    assert 0.6 < forest_winter < np.nanmean(ndvi[np.isin(months, (6, 7))][:, forest])


def test_bare_soil_and_towns_reflect_a_tenth_to_a_quarter_with_low_ndvi(year):
    cover, bands = year
    clear, ndvi = _clear(bands), _ndvi(bands)
    for name in ("bare", "urban"):
        seen = clear & (cover == LAND_COVER[name])
        red, nir = bands["B04"][seen] / 10000, bands["B08"][seen] / 10000
        assert np.percentile(red, 2) >= 0.08 and np.percentile(nir, 98) <= 0.3, name
        assert 0.05 <= np.percentile(ndvi[seen], 2) and np.percentile(ndvi[seen], 98) <= 0.3, name
        assert np.all(bands["SCL"][seen] == SCL["bare"]), name


def test_water_reflects_less_near_infrared_than_red(year):
    cover, bands = year
    seen = _clear(bands) & (cover == LAND_COVER["water"])
    assert seen.sum() > 100
    assert np.all(bands["B08"][seen] < bands["B04"][seen])
    assert np.all(_ndvi(bands)[seen] < 0)
    assert np.all(bands["SCL"][seen] == SCL["water"])


def test_clouds_are_bright_in_every_band_where_scl_says_cloud(year):
    _, bands = year
    scl = bands["SCL"]
    cloud = np.isin(scl, (SCL["cloud_medium"], SCL["cloud_high"]))
    assert cloud.any() and (scl == SCL["cirrus"]).any()
    for band in ("B02", "B04", "B08"):
        assert np.all(bands[band][cloud] > 2000), band
    # Conversely, whatever is that bright in blue is classified as cloud or cirrus.
    bright = bands["B02"] > 2500
    assert bright.any() and np.all(
        np.isin(scl[bright], (SCL["cloud_medium"], SCL["cloud_high"], SCL["cirrus"]))
    )
    assert np.median(bands["B02"][scl == SCL["cloud_high"]]) > 4 * np.median(
        bands["B02"][scl == SCL["vegetation"]]
    )


def test_cloud_shadows_are_darker_than_the_same_land_in_sunlight(year):
    cover, bands = year
    shadow = bands["SCL"] == SCL["shadow"]
    assert shadow.any()
    sunlit = np.isin(bands["SCL"], CLEAR)
    for code in np.unique(np.broadcast_to(cover, shadow.shape)[shadow]):
        land = np.broadcast_to(cover == code, shadow.shape)
        assert np.median(bands["B08"][shadow & land]) < 0.6 * np.median(bands["B08"][sunlit & land])
