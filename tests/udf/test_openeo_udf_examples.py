"""UDFs written the way the openEO Python client's documentation describes them, sent by that client to a
live server unchanged, with results compared with numpy (and scipy) on the synthetic source rasters."""

from __future__ import annotations

import textwrap

import numpy as np
import openeo
import pytest
import scipy.ndimage
import scipy.signal
import xarray as xr

from openeo_gip.demodata import synthetic
from tests.udf.test_run_udf_client import netcdf, source, udf_config

# Every UDF runs in its own sandboxed process: seconds per test.
pytestmark = pytest.mark.slow

# Generous CPU time: importing scipy.signal alone takes a second on a loaded machine.
UDF_LIMITS = {"cpu_seconds": 10, "memory_mb": 300, "wall_seconds": 60, "file_mb": 20}

# Rescaling digital numbers with the older XarrayDataCube signature and get_array().
RESCALE = """
from openeo.udf import XarrayDataCube

def apply_datacube(cube: XarrayDataCube, context: dict) -> XarrayDataCube:
    array = cube.get_array()
    array.values = context.get("factor", 0.0001) * array.values
    return cube
"""

# Spatial smoothing with scipy.ndimage, for apply_neighborhood (no-data counts as zero).
SMOOTH = """
import xarray
from scipy import ndimage

def apply_datacube(cube: xarray.DataArray, context: dict) -> xarray.DataArray:
    window = (1,) * (cube.ndim - 2) + (context["size"], context["size"])
    smoothed = ndimage.uniform_filter(cube.fillna(0).values, size=window, mode="constant")
    return cube.copy(data=smoothed)
"""

# Each pixel's time series minus its mean (pandas skips no-data).
ANOMALY = """
import pandas as pd

def apply_timeseries(series: pd.Series, context: dict) -> pd.Series:
    return series - series.mean()
"""

# Savitzky-Golay smoothing along t, gaps filled first (also at the ends); relies on xarray and DataCube
# being at hand without imports.
SAVGOL = """
from scipy.signal import savgol_filter
from openeo.udf import XarrayDataCube

def apply_datacube(cube: XarrayDataCube, context: dict) -> XarrayDataCube:
    array: xarray.DataArray = cube.get_array()
    filled = array.interpolate_na(dim="t", fill_value="extrapolate")
    smoothed = savgol_filter(filled.values, context["window"], context["order"], axis=0)
    return DataCube(xarray.DataArray(smoothed, dims=array.dims, coords=array.coords))
"""

# A reducer over t: the returned cube has no dimension t any more.
QUANTILE = """
from openeo.udf import XarrayDataCube

def apply_datacube(cube: XarrayDataCube, context: dict) -> XarrayDataCube:
    array = cube.get_array()
    return XarrayDataCube(array.quantile(context["q"], dim="t").drop_vars("quantile"))
"""

# New bands, named by apply_metadata (where the process keeps the UDF's labels: not in apply_dimension,
# whose labels the openEO specification defines).
INDICES = """
import xarray
from openeo.metadata import CollectionMetadata

def apply_metadata(metadata: CollectionMetadata, context: dict) -> CollectionMetadata:
    return metadata.rename_labels(dimension="bands", target=["NDVI", "NIR_RED_RATIO"])

def apply_datacube(cube: xarray.DataArray, context: dict) -> xarray.DataArray:
    red, nir = cube.sel(bands="B04"), cube.sel(bands="B08")
    return xarray.concat([(nir - red) / (nir + red), nir / red], dim="bands")
"""

# The generic signature: the UDF changes the UdfData it receives.
CLIP = """
from openeo.udf import UdfData, XarrayDataCube

def apply_udf_data(data: UdfData):
    low, high = data.user_context["low"], data.user_context["high"]
    clipped = [XarrayDataCube(cube.get_array().clip(low, high)) for cube in data.get_datacube_list()]
    data.set_datacube_list(clipped)
"""


@pytest.fixture
def s2(tmp_path) -> synthetic.Sentinel2Demo:
    return synthetic.write_sentinel2_demo(tmp_path / "data" / "S2", size=32, dates=3, blocksize=16)


@pytest.fixture
def config(tmp_path, db_url, s2):
    return udf_config(tmp_path, db_url, UDF_LIMITS)


def udf(code: str, **context) -> openeo.UDF:
    return openeo.UDF(textwrap.dedent(code), runtime="Python", context=context)


def bands(result: xr.DataArray, names: list[str]) -> np.ndarray:
    """The result's values as (band, t, y, x) or (band, y, x)."""
    return np.stack([result.sel(bands=name).squeeze().values for name in names])


def test_rescaling_with_xarraydatacube_in_apply(connection, s2):
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    result = netcdf(cube.apply(process=udf(RESCALE, factor=0.001)).download(format="netCDF"))
    expected = np.stack([source(s2, "B04"), source(s2, "B08")]) * 0.001
    np.testing.assert_allclose(bands(result, ["B04", "B08"]), expected, rtol=1e-6, equal_nan=True)


def test_smoothing_with_scipy_in_apply_neighborhood_with_overlap(connection, s2):
    cube = connection.load_collection("S2", bands=["B04"])
    smoothed = cube.apply_neighborhood(
        lambda data: data.run_udf(udf=textwrap.dedent(SMOOTH), runtime="Python", context={"size": 3}),
        # two windows (of all y), side by side along x
        size=[{"dimension": "x", "value": 16, "unit": "px"}, {"dimension": "y", "value": 32, "unit": "px"}],
        overlap=[{"dimension": "x", "value": 2, "unit": "px"}],
    )
    result = netcdf(smoothed.download(format="netCDF"))
    # Windows overlapping by more than the filter's radius give the filter of the whole image.
    expected = scipy.ndimage.uniform_filter(np.nan_to_num(source(s2, "B04")), size=(1, 3, 3), mode="constant")
    np.testing.assert_allclose(result.values.reshape(expected.shape), expected, rtol=1e-5)


def test_apply_timeseries_in_apply_dimension_over_t(connection, s2):
    cube = connection.load_collection("S2", bands=["B08"])
    result = netcdf(cube.apply_dimension(process=udf(ANOMALY), dimension="t").download(format="netCDF"))
    values = source(s2, "B08")
    expected = values - np.nanmean(values, axis=0)
    # float32 results: differences of values near 2000 are exact to about 1e-3
    np.testing.assert_allclose(result.values.reshape(expected.shape), expected, atol=1e-2, equal_nan=True)


def test_savitzky_golay_smoothing_over_t(connection, s2):
    cube = connection.load_collection("S2", bands=["B04"])
    smoothed = cube.apply_dimension(process=udf(SAVGOL, window=3, order=1), dimension="t")
    result = netcdf(smoothed.download(format="netCDF"))
    values = xr.DataArray(source(s2, "B04"), dims=("t", "y", "x"))
    expected = scipy.signal.savgol_filter(values.interpolate_na("t", fill_value="extrapolate"), 3, 1, axis=0)
    # float32 results: values near zero come from differences of values near 2000
    np.testing.assert_allclose(result.values.reshape(expected.shape), expected, rtol=1e-5, atol=1e-2)


def test_udf_reducer_over_t_with_context(connection, s2):
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    reduced = cube.reduce_dimension(dimension="t", reducer=udf(QUANTILE, q=0.25))
    result = netcdf(reduced.download(format="netCDF"))
    expected = np.stack([np.nanquantile(source(s2, band), 0.25, axis=0) for band in ("B04", "B08")])
    np.testing.assert_allclose(bands(result, ["B04", "B08"]), expected, rtol=1e-6)


def test_apply_metadata_names_the_new_bands_of_run_udf(connection, s2):
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    indices = cube.process("run_udf", data=cube, udf=textwrap.dedent(INDICES), runtime="Python")
    result = netcdf(indices.download(format="netCDF"))
    red, nir = source(s2, "B04"), source(s2, "B08")
    np.testing.assert_allclose(
        bands(result, ["NDVI", "NIR_RED_RATIO"]),
        np.stack([(nir - red) / (nir + red), nir / red]),
        rtol=1e-6,
        equal_nan=True,
    )


def test_a_udf_data_function_in_apply(connection, s2):
    cube = connection.load_collection("S2", bands=["B08"])
    clipped = cube.apply(process=udf(CLIP, low=500, high=2000))
    result = netcdf(clipped.download(format="netCDF"))
    expected = np.clip(source(s2, "B08"), 500, 2000)
    np.testing.assert_allclose(result.values.reshape(expected.shape), expected, equal_nan=True)
    assert 500 < np.nanmean(expected) < 2000, "the clip bounds cut the values on both sides"
