"""aggregate_temporal, climatological_normal, anomaly and resample_cube_temporal against numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openeo_gip.errors import ApiError
from openeo_gip.processes.cube.temporal import (
    aggregate_temporal,
    anomaly,
    climatological_normal,
    resample_cube_temporal,
)
from tests.support.cube_builders import make_cube, mean_reducer, nanmean


def test_aggregate_temporal_means_per_interval_with_default_and_given_labels():
    cube = make_cube()  # 2021-01-05, 2021-01-20, 2021-02-03, 2021-04-11
    intervals = [["2021-01-01", "2021-02-01"], ["2021-01-15", "2021-03-01"], ["2021-05-01", "2021-06-01"]]
    out = aggregate_temporal(cube, intervals, mean_reducer())
    assert out.dims == cube.dims and out.rio.crs == cube.rio.crs
    assert list(pd.DatetimeIndex(out["t"].values).strftime("%Y-%m-%d")) == [
        "2021-01-01",
        "2021-01-15",
        "2021-05-01",
    ]
    np.testing.assert_allclose(out.values[0], nanmean(cube.values[0:2], 0), rtol=1e-6)
    np.testing.assert_allclose(out.values[1], nanmean(cube.values[1:3], 0), rtol=1e-6)
    assert np.isnan(out.values[2]).all(), "an interval without dates is no-data"
    labelled = aggregate_temporal(cube, intervals[:2], mean_reducer(), labels=["winter", "late"])
    assert list(labelled["t"].values) == ["winter", "late"]


def test_aggregate_temporal_time_of_day_and_open_intervals():
    cube = make_cube(times=("2021-01-05T03:00", "2021-01-05T12:00", "2021-01-06T20:00", "2021-01-07T09:00"))
    out = aggregate_temporal(cube, [["06:00:00", "18:00:00"], ["18:00:00", "06:00:00"]], mean_reducer())
    np.testing.assert_allclose(out.values[0], nanmean(cube.values[[1, 3]], 0), rtol=1e-6)
    np.testing.assert_allclose(out.values[1], nanmean(cube.values[[0, 2]], 0), rtol=1e-6)
    out = aggregate_temporal(cube, [[None, "2021-01-06"], ["2021-01-06", None]], mean_reducer())
    np.testing.assert_allclose(out.values[1], nanmean(cube.values[2:], 0), rtol=1e-6)


@pytest.mark.parametrize(
    ("intervals", "kwargs", "code"),
    [
        ([["2021-02-01", "2021-01-01"]], {}, "TemporalExtentEmpty"),
        ([["2021-01-01", "2021-02-01"], ["2021-01-01", "2021-03-01"]], {}, "DistinctDimensionLabelsRequired"),
        ([["2021-01-01", "2021-02-01"]], {"dimension": "time"}, "DimensionNotAvailable"),
        ([["2021-01-01", "2021-02-01"]], {"labels": ["a", "b"]}, "ProcessParameterInvalid"),
    ],
)
def test_aggregate_temporal_errors(intervals, kwargs, code):
    with pytest.raises(ApiError) as error:
        aggregate_temporal(make_cube(), intervals, mean_reducer(), **kwargs)
    assert error.value.code == code


def monthly_cube():
    times = pd.date_range("2018-11-15", "2021-02-15", freq="MS") + pd.Timedelta(days=14)
    return make_cube(times=tuple(times.strftime("%Y-%m-%d")), bands=("B04",), height=3, width=2, seed=3)


def test_climatological_normal_monthly_and_seasonal_means():
    cube = monthly_cube()
    times = pd.DatetimeIndex(cube["t"].values)
    normals = climatological_normal(cube, "month", [2019, 2020])
    assert list(normals["t"].values) == [f"{m:02d}" for m in range(1, 13)]
    in_period = (times.year >= 2019) & (times.year <= 2020)
    for month in (1, 7, 12):
        chosen = np.flatnonzero(in_period & (times.month == month))
        np.testing.assert_allclose(normals.values[month - 1], nanmean(cube.values[chosen], 0), rtol=1e-6)
    seasons = climatological_normal(cube, "season", [2019, 2020])
    assert list(seasons["t"].values) == ["djf", "mam", "jja", "son"]
    # Winter takes December 2018 (before the period) and not December 2020 (the next winter).
    december_to_february = (times >= "2018-12-01") & (times < "2020-12-01") & np.isin(times.month, [12, 1, 2])
    np.testing.assert_allclose(
        seasons.values[0], nanmean(cube.values[np.flatnonzero(december_to_february)], 0), rtol=1e-6
    )


def test_anomaly_subtracts_the_normal_of_each_month():
    cube = monthly_cube()
    normals = climatological_normal(cube, "month", [2019, 2020])
    out = anomaly(cube, normals, "month")
    assert out.dims == cube.dims and (out["t"].values == cube["t"].values).all()
    months = pd.DatetimeIndex(cube["t"].values).month
    expected = cube.values - normals.values[months - 1]
    np.testing.assert_allclose(out.values, expected, rtol=1e-5, atol=1e-3)
    # Labels written by aggregate_temporal_period ("YYYY-MM") work too.
    labelled = cube.assign_coords(t=[f"{t:%Y-%m}" for t in pd.DatetimeIndex(cube["t"].values)])
    np.testing.assert_allclose(anomaly(labelled, normals, "month").values, expected, rtol=1e-5, atol=1e-3)
    single = climatological_normal(cube, "climatology-period", [2019, 2020])
    np.testing.assert_allclose(
        anomaly(cube, single, "climatology-period").values,
        cube.values - single.values[0],
        rtol=1e-5,
        atol=1e-3,
    )


def test_resample_cube_temporal_nearest_and_valid_within():
    cube = make_cube(times=("2021-01-01", "2021-01-05", "2021-01-10"), nan_fraction=0.3, seed=5)
    target = make_cube(times=("2021-01-02", "2021-01-08", "2021-01-30"))
    out = resample_cube_temporal(cube, target)
    assert (out["t"].values == target["t"].values).all()
    np.testing.assert_array_equal(out.values, cube.values[[0, 2, 2]])
    out = resample_cube_temporal(cube, target, valid_within=3)
    values = cube.values
    first = np.where(np.isnan(values[0]), values[1], values[0])  # 2021-01-01, then 2021-01-05
    second = np.where(np.isnan(values[2]), values[1], values[2])  # 2021-01-10 (2 days), then 2021-01-05
    np.testing.assert_array_equal(out.values[0], first)
    np.testing.assert_array_equal(out.values[1], second)
    assert np.isnan(out.values[2]).all(), "nothing within 3 days of 2021-01-30"
    with pytest.raises(ApiError) as error:
        resample_cube_temporal(cube, target, dimension="bands")
    assert error.value.code == "DimensionMismatch"
