"""Whole workflows as users write them: the real ``openeo`` Python client against a live server.

Every result is checked against numpy on the stored integers of the synthetic collection
(``demo.array(band, i)``), computed here independently of the reader and the engine.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import rasterio
import requests
from openeo.api.process import Parameter
from openeo.rest import OpenEoApiError
from openeo.rest.datacube import THIS

from openeo_gip.demodata import synthetic
from tests.conftest import bearer_for, make_config
from tests.support.python_client_scenarios import SCALED_NDVI
from tests.support.results import all_nan_is_fine, read_netcdf, read_tif, source

# Two dates in January, one in February and one in March: a monthly aggregation has something to merge.
DATES = [dt.date(2023, 1, 5), dt.date(2023, 1, 20), dt.date(2023, 2, 4), dt.date(2023, 3, 6)]
DASK_SETTINGS = {"n_workers": 1, "threads_per_worker": 2, "memory_limit": "6GiB"}
CLOUD_CLASSES = (synthetic.SCL["cloud_medium"], synthetic.SCL["cloud_high"])


@pytest.fixture
def s2(tmp_path) -> synthetic.Sentinel2Demo:
    return synthetic.write_sentinel2_demo(tmp_path / "data" / "S2", size=64, dates=DATES, blocksize=32)


@pytest.fixture
def config(tmp_path, db_url, s2):
    return make_config(tmp_path, db_url, dask=DASK_SETTINGS, jobs={"runner_threads": 0})


def test_ndvi_mean_over_the_year_as_geotiff(connection, s2):
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    ndvi = cube.ndvi(nir="B08", red="B04").reduce_dimension(dimension="t", reducer="mean")
    actual = read_tif(ndvi.download(format="GTiff"))

    red, nir = source(s2, "B04"), source(s2, "B08")
    with all_nan_is_fine():
        expected = np.nanmean((nir - red) / (nir + red), axis=0)
    assert actual.shape == (1, 64, 64)
    np.testing.assert_allclose(actual[0], expected, rtol=1e-5, equal_nan=True)


def test_cloud_mask_with_scl_then_median_composite(connection, s2):
    cube = connection.load_collection("S2", bands=["B04", "B08", "SCL"])
    scl = cube.band("SCL")
    clouds = (scl == CLOUD_CLASSES[0]) | (scl == CLOUD_CLASSES[1])
    composite = (
        cube.filter_bands(["B04", "B08"]).mask(clouds).reduce_dimension(dimension="t", reducer="median")
    )
    actual = read_tif(composite.download(format="GTiff"))

    cloudy = np.isin(np.stack([s2.array("SCL", i) for i in range(len(DATES))]), CLOUD_CLASSES)
    assert cloudy.any(), "the test data should have clouds"
    assert actual.shape == (2, 64, 64)
    for position, band in enumerate(["B04", "B08"]):
        values = source(s2, band)
        values[cloudy] = np.nan
        with all_nan_is_fine():
            expected = np.nanmedian(values, axis=0)
        np.testing.assert_allclose(actual[position], expected, rtol=1e-5, equal_nan=True)


def test_apply_linear_scale_range_to_png(connection, s2):
    cube = connection.load_collection("S2", bands=["B08"]).reduce_dimension(dimension="t", reducer="max")
    scaled = cube.apply(lambda x: x.linear_scale_range(0, 6000, 0, 255))
    content = scaled.download(format="PNG")
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    with rasterio.MemoryFile(content) as memory, memory.open() as picture:
        grey = picture.read(1)

    peak = np.nanmax(source(s2, "B08"), axis=0)
    expected = np.rint(np.clip(peak, 0, 6000) * 255.0 / 6000).astype(np.uint8)
    assert grey.shape == (64, 64)
    # scaled values carry float rounding: a half-way value may round either way
    assert np.abs(grey.astype(int) - expected.astype(int)).max() <= 1
    assert (grey == expected).mean() > 0.99
    assert grey.max() > grey.min()


def test_band_math_in_reduce_dimension_over_bands(connection, s2):
    cube = connection.load_collection("S2", bands=["B02", "B04", "B08"])
    blue, red, nir = cube.band("B02"), cube.band("B04"), cube.band("B08")
    evi_like = 2.5 * (nir - red) / (nir + 6 * red - 7.5 * blue + 10000)
    dataset = read_netcdf(evi_like.download(format="netCDF"))

    names = [name for name in dataset.data_vars if "t" in dataset[name].dims]
    assert len(names) == 1
    actual = dataset[names[0]].transpose("t", "y", "x").values
    b02, b04, b08 = source(s2, "B02"), source(s2, "B04"), source(s2, "B08")
    expected = 2.5 * (b08 - b04) / (b08 + 6 * b04 - 7.5 * b02 + 10000)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, equal_nan=True)
    assert list(dataset["t"].values.astype("datetime64[D]")) == [np.datetime64(d) for d in DATES]


def test_aggregate_temporal_period_monthly(connection, s2):
    cube = connection.load_collection("S2", bands=["B08"])
    monthly = cube.aggregate_temporal_period(period="month", reducer="mean")
    dataset = read_netcdf(monthly.download(format="netCDF"))

    labels = dataset["t"].values.astype("datetime64[D]")
    assert list(labels) == [
        np.datetime64("2023-01-01"),
        np.datetime64("2023-02-01"),
        np.datetime64("2023-03-01"),
    ]
    nir = source(s2, "B08")
    with all_nan_is_fine():
        expected = np.stack([np.nanmean(nir[0:2], axis=0), nir[2], nir[3]])
    actual = dataset["B08"].transpose("t", "y", "x").values
    np.testing.assert_allclose(actual, expected, rtol=1e-5, equal_nan=True)


def test_merge_cubes_of_two_band_subsets(connection, s2):
    reds = connection.load_collection("S2", bands=["B04"])
    nirs = connection.load_collection("S2", bands=["B08"])
    merged = reds.merge_cubes(nirs)
    dataset = read_netcdf(merged.download(format="netCDF"))

    assert {"B04", "B08"} <= set(dataset.data_vars)
    for band in ("B04", "B08"):
        actual = dataset[band].transpose("t", "y", "x").values
        np.testing.assert_allclose(actual, source(s2, band), equal_nan=True)


def test_spatial_and_temporal_extents_select_a_window(connection, s2):
    west, north = synthetic.S2_ORIGIN
    # pixel-aligned bounds in the collection's own CRS: columns 16..47, rows 8..39
    extent = {"west": west + 160, "east": west + 480, "south": north - 400, "north": north - 80, "crs": 32631}
    cube = connection.load_collection(
        "S2", spatial_extent=extent, temporal_extent=["2023-01-10", "2023-02-10"], bands=["B04"]
    )
    dataset = read_netcdf(cube.max_time().download(format="netCDF"))

    actual = dataset["B04"].transpose("y", "x").values
    expected = np.nanmax(source(s2, "B04")[1:3, 8:40, 16:48], axis=0)
    np.testing.assert_allclose(actual, expected, equal_nan=True)
    assert float(dataset["x"].min()) == west + 165  # pixel centres
    assert float(dataset["y"].max()) == north - 85


def test_stored_user_defined_process_with_a_parameter(connection, s2):
    connection.save_user_defined_process(
        "scaled_ndvi",
        SCALED_NDVI,
        parameters=[
            Parameter.raster_cube("data"),
            Parameter.number("factor", description="multiplier", default=1),
        ],
    )
    assert "scaled_ndvi" in [p["id"] for p in connection.list_user_defined_processes()]

    cube = connection.load_collection("S2", bands=["B04", "B08"])
    called = cube.process("scaled_ndvi", {"data": THIS, "factor": 100}, namespace="user")
    result = called.reduce_dimension(dimension="t", reducer="max")
    actual = read_tif(result.download(format="GTiff"))

    red, nir = source(s2, "B04"), source(s2, "B08")
    with all_nan_is_fine():
        expected = np.nanmax(100 * (nir - red) / (nir + red), axis=0)
    np.testing.assert_allclose(actual[0], expected, rtol=1e-5, equal_nan=True)


def _graph(node: dict) -> dict:
    return {"process_graph": {"only": {**node, "result": True}}}


@pytest.mark.parametrize(
    ("process", "code", "status"),
    [
        (_graph({"process_id": "no_such_process", "arguments": {}}), "ProcessUnsupported", 400),
        (_graph({"process_id": "add", "arguments": {"x": 1}}), "ProcessParameterRequired", 400),
        (
            _graph({"process_id": "add", "arguments": {"x": 1, "y": 2, "z": 3}}),
            "ProcessParameterUnsupported",
            400,
        ),
        (_graph({"process_id": "add", "arguments": {"x": "one", "y": 2}}), "ProcessParameterInvalid", 400),
        (
            _graph(
                {
                    "process_id": "load_collection",
                    "arguments": {"id": "NOPE", "spatial_extent": None, "temporal_extent": None},
                }
            ),
            "CollectionNotFound",
            404,
        ),
        (
            _graph({"process_id": "add", "arguments": {"x": {"from_node": "missing"}, "y": 1}}),
            "ProcessGraphInvalid",
            400,
        ),
    ],
)
def test_validation_errors_reach_the_client(connection, process, code, status):
    with pytest.raises(OpenEoApiError) as raised:
        connection.execute(process)
    assert raised.value.code == code
    assert raised.value.http_status_code == status
    # /validation lists the same problem without running anything
    assert code in [error["code"] for error in connection.validate_process_graph(process)]


def test_unknown_process_in_a_client_built_cube(connection):
    cube = connection.load_collection("S2", bands=["B04"]).process("no_such_process", data=THIS)
    with pytest.raises(OpenEoApiError) as raised:
        cube.download(format="GTiff")
    assert raised.value.code == "ProcessUnsupported"


# ---- synchronous limits -------------------------------------------------------------------------------

NDVI_GRAPH = {
    "load": {
        "process_id": "load_collection",
        "arguments": {"id": "S2", "spatial_extent": None, "temporal_extent": None, "bands": ["B04", "B08"]},
    },
    "ndvi": {"process_id": "ndvi", "arguments": {"data": {"from_node": "load"}}},
    "save": {
        "process_id": "save_result",
        "arguments": {"data": {"from_node": "ndvi"}, "format": "netCDF"},
        "result": True,
    },
}


def _post_result(server, graph: dict) -> requests.Response:
    headers = bearer_for(server.url, "alice")
    body = {"process": {"process_graph": graph}}
    return requests.post(f"{server.url}/result", json=body, headers=headers, timeout=120)


def test_results_within_the_limits_are_computed(server, alice, s2):
    response = _post_result(server, NDVI_GRAPH)
    assert response.status_code == 200, response.text
    dataset = read_netcdf(response.content)
    assert dataset.sizes["t"] == len(DATES) and dataset.sizes["x"] == 64


def test_result_over_the_pixel_limit_is_refused_before_computing(server, alice, s2):
    sync = server.app.extensions["openeo_gip"].config.sync
    sync.max_pixels = 64 * 64 * len(DATES) - 1  # one value less than the NDVI cube has
    response = _post_result(server, NDVI_GRAPH)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "ProcessGraphComplexity"
    assert "batch job" in body["message"] and f"{64 * 64 * len(DATES):,}" in body["message"]
    # nothing was computed: the cluster was never needed
    assert not server.app.extensions["openeo_gip"].cluster.started


def test_result_over_the_time_limit_is_stopped(server, alice, s2):
    sync = server.app.extensions["openeo_gip"].config.sync
    sync.max_seconds = 0.001  # reading the rasters alone takes longer
    response = _post_result(server, NDVI_GRAPH)
    assert response.status_code == 408
    body = response.json()
    assert body["code"] == "RequestTimeout" and "batch job" in body["message"]
    # the server is still usable afterwards
    sync.max_seconds = 300
    assert _post_result(server, NDVI_GRAPH).status_code == 200


def test_sync_limits_come_from_the_config_file(tmp_path):
    from openeo_gip.config import default_config_text, load_config

    file = tmp_path / "config.toml"
    file.write_text(default_config_text(), encoding="utf-8")
    assert load_config(file, environ={}).sync.max_pixels == 100_000_000
    override = {"OPENEO_GIP_SYNC__MAX_SECONDS": "12.5", "OPENEO_GIP_SYNC__MAX_PIXELS": "1000"}
    config = load_config(file, environ=override)
    assert config.sync.max_seconds == 12.5 and config.sync.max_pixels == 1000


def test_a_time_range_without_dates_is_a_clear_error(connection):
    cube = connection.load_collection("S2", temporal_extent=["2030-01-01", "2031-01-01"], bands=["B04"])
    with pytest.raises(OpenEoApiError) as error:
        cube.reduce_dimension("t", reducer="mean").download(format="GTiff")
    assert error.value.http_status_code == 400 and error.value.code == "NoDataAvailable"
