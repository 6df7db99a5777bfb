"""reduce_dimension, apply, apply_dimension and aggregate_temporal_period with vectorised callbacks."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.cube.reduce import (
    aggregate_temporal_period,
    apply,
    apply_dimension,
    reduce_dimension,
)
from tests.support.cube_builders import make_cube, mean_reducer, nanmean, reducer


def test_reduce_dimension_over_time_with_mean_keeps_crs_and_drops_t():
    cube = make_cube()
    calls = []

    def mean(data, context=None):
        calls.append(data)
        return data.data.mean(data.dim)

    out = reduce_dimension(cube, Callback(mean), "t")
    assert len(calls) == 1 and isinstance(calls[0], ArrayView) and calls[0].dim == "t"
    assert out.dims == ("bands", "y", "x") and "t" not in out.coords
    np.testing.assert_allclose(out.values, nanmean(cube.values, 0), rtol=1e-6)
    assert out.rio.crs == cube.rio.crs


def test_reduce_dimension_band_math_with_array_element():
    cube = make_cube(common_names=("blue", "red", "nir"))

    def band_math(data, context=None):
        red, nir = data.data.isel({data.dim: 1}), data.data.isel({data.dim: 2})
        return (nir - red) / (nir + red) * context

    out = reduce_dimension(cube, Callback(band_math), "bands", context=2)
    assert out.dims == ("t", "y", "x")
    assert "common_name" not in out.coords and "bands" not in out.coords
    red, nir = cube.values[:, 1], cube.values[:, 2]
    np.testing.assert_allclose(out.values, (nir - red) / (nir + red) * 2, rtol=1e-6)


def test_reduce_dimension_constant_reducer_and_errors():
    cube = make_cube()
    out = reduce_dimension(cube, Callback(lambda data, context=None: 7), "bands")
    assert out.dims == ("t", "y", "x") and float(out.max()) == 7.0 == float(out.min())
    with pytest.raises(ApiError) as error:
        reduce_dimension(cube, mean_reducer(), "time")
    assert error.value.code == "DimensionNotAvailable"
    with pytest.raises(ApiError) as error:
        reduce_dimension(cube, Callback(lambda data, context=None: data), "t")
    assert error.value.code == "ProcessParameterInvalid"


def test_apply_runs_once_on_the_whole_cube():
    cube = make_cube()
    out = apply(cube, Callback(lambda x, context=None: (x - context) * 2), context=100)
    np.testing.assert_allclose(out.values, (cube.values - 100) * 2, rtol=1e-6)
    assert out.rio.crs == cube.rio.crs and out.dims == cube.dims


def test_apply_dimension_keeps_labels_when_the_count_is_unchanged():
    cube = make_cube()
    # Cumulative sum over time, NaN counted as 0: same number of values, so the labels stay.
    process = Callback(lambda data, context=None: ArrayView(data.data.fillna(0).cumsum(data.dim), data.dim))
    out = apply_dimension(cube, process, "t")
    np.testing.assert_array_equal(out["t"].values, cube["t"].values)
    np.testing.assert_allclose(out.values, np.cumsum(np.nan_to_num(cube.values), axis=0), rtol=1e-5)


def test_apply_dimension_with_new_count_and_target_dimension():
    cube = make_cube()

    def min_max(data, context=None):
        view = data.data
        return xr.concat([view.min(data.dim), view.max(data.dim)], dim=data.dim)

    out = apply_dimension(cube, Callback(min_max), "bands", target_dimension="stats")
    assert out.dims == ("t", "stats", "y", "x")
    assert list(out["stats"].values) == [0, 1]
    np.testing.assert_allclose(out.isel(stats=0).values, np.nanmin(cube.values, axis=1))
    np.testing.assert_allclose(out.isel(stats=1).values, np.nanmax(cube.values, axis=1))
    fewer = apply_dimension(cube, Callback(min_max), "t")
    assert list(fewer["t"].values) == [0, 1] and fewer.dims == cube.dims


def test_aggregate_temporal_period_month_fills_empty_months_with_nodata():
    cube = make_cube()  # dates in January (2), February (1) and April (1)
    out = aggregate_temporal_period(cube, "month", mean_reducer())
    assert list(out["t"].values) == ["2021-01", "2021-02", "2021-03", "2021-04"]
    assert out.dims == cube.dims
    np.testing.assert_allclose(out.isel(t=0).values, nanmean(cube.values[0:2], 0), rtol=1e-6)
    np.testing.assert_allclose(out.isel(t=1).values, cube.values[2], rtol=1e-6)
    assert np.isnan(out.isel(t=2).values).all()
    np.testing.assert_allclose(out.isel(t=3).values, cube.values[3], rtol=1e-6)


@pytest.mark.parametrize(
    ("period", "dates", "labels"),
    [
        (
            "season",
            ["2023-12-28", "2024-02-29", "2024-03-01", "2024-11-30"],
            ["2023-djf", "2024-mam", "2024-jja", "2024-son"],
        ),
        (
            "tropical-season",
            ["2023-11-01", "2024-04-30", "2024-05-01", "2024-11-30"],
            ["2023-ndjfma", "2024-mjjaso", "2024-ndjfma"],
        ),
        (
            "dekad",
            ["2024-01-28", "2024-01-31", "2024-02-01", "2024-02-29"],
            ["2024-03", "2024-04", "2024-05", "2024-06"],
        ),
        ("week", ["2022-12-06", "2022-12-12", "2023-01-01"], ["2022-49", "2022-50", "2022-51", "2022-52"]),
        ("day", ["2020-12-30", "2021-01-01"], ["2020-365", "2020-366", "2021-001"]),
        (
            "hour",
            ["2020-06-01T00:10", "2020-06-01T02:00"],
            ["2020-06-01-00", "2020-06-01-01", "2020-06-01-02"],
        ),
        ("year", ["2020-01-01", "2021-06-01"], ["2020", "2021"]),
        ("decade", ["2019-05-01", "2020-06-01"], ["2010", "2020"]),
        ("decade-ad", ["2020-05-01", "2021-06-01"], ["2011", "2021"]),
    ],
)
def test_aggregate_temporal_period_labels(period, dates, labels):
    cube = make_cube(times=dates, bands=("B04",), height=2, width=2, nan_fraction=0)
    counts = reducer(lambda view: view.data.count(view.dim))
    out = aggregate_temporal_period(cube, period, counts)
    assert list(out["t"].values) == labels
    assert float(out.sum()) == len(dates) * 4  # every date counted once, in exactly one period


def test_aggregate_temporal_period_errors():
    cube = make_cube()
    with pytest.raises(ApiError) as error:
        aggregate_temporal_period(cube.isel(t=0, drop=True), "month", mean_reducer())
    assert error.value.code == "DimensionNotAvailable"
    two_times = cube.isel(bands=0, drop=True).expand_dims(t2=cube["t"].values[:1])
    with pytest.raises(ApiError) as error:
        aggregate_temporal_period(two_times, "month", mean_reducer())
    assert error.value.code == "TooManyDimensions"


def test_apply_dimension_into_an_existing_target_dimension_of_one_label():
    # Quantiles of each time series go into `bands`, which exists with one label: the label is replaced
    # by the numbered values and `t` is gone, as the definition describes for an existing target.
    cube = make_cube().isel(bands=[1])

    def first_and_last(data, context=None):
        view = data.data
        return xr.concat([view.isel({data.dim: 0}), view.isel({data.dim: -1})], dim=data.dim)

    out = apply_dimension(cube, Callback(first_and_last), "t", target_dimension="bands")
    assert out.dims == ("bands", "y", "x")
    assert list(out["bands"].values) == [0, 1]
    np.testing.assert_array_equal(out.isel(bands=0).values, cube.isel(t=0, bands=0).values)
    np.testing.assert_array_equal(out.isel(bands=1).values, cube.isel(t=-1, bands=0).values)
    assert out.rio.crs == cube.rio.crs


def test_apply_dimension_into_an_existing_target_dimension_of_several_labels_is_refused():
    with pytest.raises(ApiError) as error:
        apply_dimension(make_cube(), mean_reducer(), "t", target_dimension="bands")
    assert error.value.code == "ProcessParameterInvalid"
    assert "has 3 labels" in error.value.message
