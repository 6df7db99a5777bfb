"""The demo generator makes pictures worth computing on: seasons, water, clouds."""

from __future__ import annotations

import numpy as np

from openeo_gip.demodata import synthetic


def _ndvi(demo: synthetic.Sentinel2Demo, index: int) -> np.ndarray:
    red = demo.array("B04", index).astype(float)
    nir = demo.array("B08", index).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 on the nodata edge
        return (nir - red) / (nir + red)


def test_fields_green_up_in_summer_and_water_stays_dark(tmp_path):
    demo = synthetic.Sentinel2Demo(tmp_path, 96, synthetic.default_dates(12), 0, 128)
    clear = [
        i for i in range(12) if not np.isin(demo.array("SCL", i), [3, 8, 9]).any()
    ]  # dates without clouds or shadows
    winter = [i for i in clear if demo.dates[i].month in (1, 2, 11, 12)]
    summer = [i for i in clear if demo.dates[i].month in (6, 7, 8)]
    assert winter and summer
    land = demo.array("SCL", summer[0]) != 6
    assert np.nanmean(_ndvi(demo, summer[0])[land]) > np.nanmean(_ndvi(demo, winter[0])[land]) + 0.2
    water = demo.array("SCL", summer[0]) == 6
    assert water.any() and np.mean(_ndvi(demo, summer[0])[water] < 0) > 0.95


def test_some_dates_are_cloudy_and_scl_marks_the_bright_pixels(tmp_path):
    demo = synthetic.Sentinel2Demo(tmp_path, 96, synthetic.default_dates(12), 0, 128)
    covers = [demo.cloud_cover(i) for i in range(12)]
    assert min(covers) == 0 and max(covers) > 20
    cloudy = int(np.argmax(covers))
    scl = demo.array("SCL", cloudy)
    blue = demo.array("B02", cloudy)
    assert np.median(blue[scl == 9]) > 4 * np.median(blue[scl == 4])
