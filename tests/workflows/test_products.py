"""Satellite products served as collections, used from the real ``openeo`` client against a live server.

The products are written by ``demodata.products``; the expected values are computed here with numpy from the
digital numbers written and the scale and offset of the products' metadata (Sentinel-2 L2A baseline 04.00:
(DN - 1000) / 10000; Landsat Collection 2 surface reflectance: DN x 0.0000275 - 0.2).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import requests

from openeo_gip.demodata import products
from tests.conftest import make_config
from tests.support.openapi import assert_valid_response
from tests.support.results import all_nan_is_fine, read_netcdf, read_tif

pytestmark = pytest.mark.slow

DASK_SETTINGS = {"n_workers": 1, "threads_per_worker": 2, "memory_limit": "6GiB"}
WHEN = [dt.datetime(2022, 6, 1, 10, 16, 11), dt.datetime(2022, 6, 11, 10, 6, 39)]


@pytest.fixture
def written(tmp_path) -> dict[str, list[products.WrittenProduct]]:
    data = tmp_path / "data"
    return {
        "S2_L2A": [
            products.write_sentinel2_product(data / "S2_L2A", when=w, seed=i) for i, w in enumerate(WHEN)
        ],
        "LANDSAT_L2": [products.write_landsat_product(data / "LANDSAT_L2")],
    }


@pytest.fixture
def config(tmp_path, db_url, written):
    return make_config(tmp_path, db_url, dask=DASK_SETTINGS, jobs={"runner_threads": 0})


def _reflectance(dn: np.ndarray, scale: float, offset: float) -> np.ndarray:
    values = dn * scale + offset
    values[dn == 0] = np.nan
    return values


def test_ndvi_of_a_sentinel2_l2a_product(connection, written):
    first = written["S2_L2A"][0]
    cube = connection.load_collection(
        "S2_L2A", temporal_extent=["2022-06-01", "2022-06-02"], bands=["B04", "B08"]
    )
    actual = read_tif(cube.ndvi(nir="B08", red="B04").download(format="GTiff"))

    red = _reflectance(first.dn["B04"].astype("float64"), 1e-4, -0.1)
    nir = _reflectance(first.dn["B08"].astype("float64"), 1e-4, -0.1)
    with all_nan_is_fine():
        expected = (nir - red) / (nir + red)
    assert actual.shape == (1, 60, 60)
    np.testing.assert_allclose(actual[0], expected, rtol=1e-5, atol=1e-6, equal_nan=True)
    # The metadata's BOA_ADD_OFFSET matters: the NDVI of the digital numbers themselves is another one.
    red_dn, nir_dn = (_reflectance(first.dn[band].astype("float64"), 1.0, 0.0) for band in ("B04", "B08"))
    with all_nan_is_fine():
        assert not np.allclose(actual[0], (nir_dn - red_dn) / (nir_dn + red_dn), atol=1e-3, equal_nan=True)


def test_sentinel2_product_collection_metadata_and_cloud_mask(server, connection, written):
    response = requests.get(f"{server.url}/collections/S2_L2A", timeout=30)
    assert_valid_response(server.url, response)  # the openEO API's Collection schema
    resolutions = {
        band["name"]: band["spatial_resolution"] for band in response.json()["summaries"]["raster:bands"]
    }
    assert (resolutions["B04"], resolutions["B05"], resolutions["B01"]) == (10.0, 20.0, 60.0)
    collection = connection.describe_collection("S2_L2A")
    assert collection["extent"]["temporal"]["interval"] == [["2022-06-01T10:16:11Z", "2022-06-11T10:06:39Z"]]
    bands = {band["name"]: band for band in collection["summaries"]["eo:bands"]}
    assert bands["B04"]["common_name"] == "red" and "SCL" in bands
    cube = connection.load_collection("S2_L2A", bands=["SCL"], temporal_extent=["2022-06-11", "2022-06-12"])
    dataset = read_netcdf(cube.download(format="netCDF"))
    scl = dataset["SCL"].values[0][1::2, 1::2]  # 20 m classes on the 10 m grid
    second = written["S2_L2A"][1]
    np.testing.assert_array_equal(scl, np.where(second.dn["SCL"] == 0, np.nan, second.dn["SCL"]))


def test_landsat_surface_reflectance_and_qa_pixel(connection, written):
    product = written["LANDSAT_L2"][0]
    cube = connection.load_collection("LANDSAT_L2", bands=["red", "QA_PIXEL"])
    dataset = read_netcdf(cube.download(format="netCDF"))
    assert {"SR_B4", "QA_PIXEL"} <= set(dataset.data_vars)
    expected = _reflectance(product.dn["SR_B4"].astype("float64"), 0.0000275, -0.2)
    np.testing.assert_allclose(dataset["SR_B4"].values[0], expected, rtol=1e-5, atol=1e-6, equal_nan=True)
    qa = dataset["QA_PIXEL"].values[0]
    cloudy = qa == products.QA_CLOUD
    assert cloudy.any() and (qa == products.QA_CLEAR).any()
