"""flatten_dimensions / unflatten_dimension, create_data_cube, and fit_curve / predict_curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.cube.curves import fit_curve, predict_curve
from openeo_gip.processes.cube.dimensions import add_dimension
from openeo_gip.processes.cube.reduce import apply_dimension
from openeo_gip.processes.cube.shape import create_data_cube, flatten_dimensions, unflatten_dimension
from tests.support.cube_builders import make_cube

YEAR = 2 * np.pi / 31557600  # one cycle per year, x in seconds


def test_flatten_then_unflatten_restores_values_and_labels():
    cube = make_cube()
    flat = flatten_dimensions(cube, ["bands", "t"], "bt", label_separator="|")
    assert flat.dims == ("bt", "y", "x")
    assert list(flat["bt"].values[:2]) == ["B02|2021-01-05T00:00:00Z", "B02|2021-01-20T00:00:00Z"]
    np.testing.assert_array_equal(flat.values[1], cube.values[1, 0])  # second label: B02 at the second date
    back = unflatten_dimension(flat, "bt", ["bands", "t"], label_separator="|")
    assert back.dims == ("bands", "t", "y", "x") and list(back["bands"].values) == ["B02", "B04", "B08"]
    np.testing.assert_array_equal(back.values, cube.values.transpose(1, 0, 2, 3))
    assert back.rio.crs == cube.rio.crs


def test_flatten_and_unflatten_errors():
    cube = make_cube()
    with pytest.raises(ApiError) as error:
        flatten_dimensions(cube, ["bands", "time"], "bt")
    assert error.value.code == "DimensionNotAvailable"
    with pytest.raises(ApiError) as error:
        flatten_dimensions(cube, ["bands"], "t")
    assert error.value.code == "TargetDimensionExists"
    with pytest.raises(ApiError) as error:
        unflatten_dimension(cube, "bands", ["a", "b"])  # "B02" has no separator
    assert error.value.code == "ProcessParameterInvalid"


def test_create_data_cube_is_empty_and_grows_with_add_dimension():
    cube = create_data_cube()
    assert cube.dims == () and np.isnan(cube.values)
    grown = add_dimension(add_dimension(cube, "bands", "B01", "bands"), "t", "2020-01-01", "temporal")
    assert grown.sizes == {"t": 1, "bands": 1}


def harmonic(x, parameters, context=None):
    a = [parameters.data.isel({parameters.dim: i}) for i in range(3)]
    return a[0] + a[1] * np.cos(YEAR * x) + a[2] * np.sin(YEAR * x)


@pytest.mark.slow  # curve fitting over every pixel: seconds
def test_fit_curve_in_apply_dimension_recovers_harmonic_parameters_and_predicts():
    times = pd.date_range("2020-01-01", periods=18, freq="20D")
    cube = make_cube(times=tuple(times.strftime("%Y-%m-%d")), bands=("B08",), nan_fraction=0.15, seed=4)
    seconds = times.values.astype("datetime64[s]").astype(np.int64).astype(float)
    truth = np.random.default_rng(2).uniform(-2, 2, size=(3, 6, 5))
    values = (
        truth[0]
        + truth[1] * np.cos(YEAR * seconds)[:, None, None]
        + truth[2] * np.sin(YEAR * seconds)[:, None, None]
    )
    cube = cube.copy(data=np.where(np.isnan(cube.values), np.nan, values[:, None])).chunk({"y": 3})
    calls = []

    def fit(data, context=None):
        calls.append(data.dim)
        return fit_curve(data, [0, 0, 0], Callback(harmonic))

    params = apply_dimension(cube, Callback(fit), "t", target_dimension="params")
    assert calls == ["t"] and params.dims == ("params", "bands", "y", "x")
    np.testing.assert_allclose(params.values[:, 0], truth, atol=1e-5)
    wanted = ["2021-03-01", "2021-07-15"]
    predicted = predict_curve(params, Callback(harmonic), "t", wanted)
    assert predicted.dims == ("t", "bands", "y", "x")
    x = pd.DatetimeIndex(wanted).values.astype("datetime64[s]").astype(np.int64).astype(float)
    expected = (
        truth[0] + truth[1] * np.cos(YEAR * x)[:, None, None] + truth[2] * np.sin(YEAR * x)[:, None, None]
    )
    np.testing.assert_allclose(predicted.values[:, 0], expected, atol=1e-4)


def test_fit_curve_nonlinear_model_on_a_plain_labeled_array():
    x = np.linspace(0, 9, 10)
    data = xr.DataArray(3 * np.exp(-0.3 * x), dims=("t",), coords={"t": x})

    def decay(x, parameters, context=None):
        p = parameters.data
        return p.isel({parameters.dim: 0}) * np.exp(-p.isel({parameters.dim: 1}) * x)

    result = fit_curve(ArrayView(data, "t"), [1.0, 0.1], Callback(decay))
    np.testing.assert_allclose(result.data.values, [3.0, 0.3], rtol=1e-4)
    with pytest.raises(ApiError):
        fit_curve(ArrayView(data, "t"), [], Callback(decay))
