"""load_stac, load_result and load_url from the real ``openeo`` client against a live server.

The STAC catalogue is written by the test with pystac around synthetic COGs, inside the data root (read by
path) and served by a loopback HTTP server in its own process (read by URL); results are compared with the
stored integers of the synthetic scenes.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import openeo
import pytest
from openeo.rest import OpenEoApiError

from openeo_gip.demodata import synthetic
from tests.conftest import LOOPBACK_ALLOWED, PASSWORD, add_user, make_config
from tests.support.results import read_netcdf, read_tif
from tests.support.stac_files import write_stac_collection
from tests.support.static_http import StaticServer

DATES = [dt.date(2023, 1, 5), dt.date(2023, 1, 20), dt.date(2023, 2, 4)]
DASK_SETTINGS = {"n_workers": 1, "threads_per_worker": 2, "memory_limit": "6GiB"}
JOB_SETTINGS = {"poll_seconds": 0.2, "runner_threads": 1}


@pytest.fixture
def config(tmp_path, db_url):
    return make_config(tmp_path, db_url, dask=DASK_SETTINGS, jobs=JOB_SETTINGS, remote=LOOPBACK_ALLOWED)


@pytest.fixture
def demo(config) -> synthetic.Sentinel2Demo:
    return write_stac_collection(config.paths.data_root / "stac", DATES)


@pytest.fixture
def collection_path(config, demo) -> str:
    return str(config.paths.data_root / "stac" / "collection.json")


def stored(demo, band: str, index: int) -> np.ndarray:
    values = demo.array(band, index).astype(np.float64)
    values[values == 0] = np.nan
    return values


def bands_of(dataset) -> list[str]:
    return [str(name) for name in dataset.data_vars if name != "spatial_ref"]  # the CRS is a variable too


def test_load_stac_over_http_with_extents_and_bands(connection, config, demo):
    west, _, _, north = demo.bounds
    # Pixel centres of columns 2..9 and rows 4..15 (10 m pixels), given in UTM.
    box = {"west": west + 20, "east": west + 95, "north": north - 40, "south": north - 155, "crs": 32631}
    with StaticServer(config.paths.data_root) as web:
        cube = connection.load_stac(
            f"{web.url}/stac/collection.json",
            spatial_extent=box,
            temporal_extent=["2023-01-10", "2023-03-01"],
            bands=["B08", "B04"],
        )
        dataset = read_netcdf(cube.download(format="netCDF"))
    assert [str(t)[:10] for t in dataset["t"].values] == ["2023-01-20", "2023-02-04"]
    assert bands_of(dataset) == ["B08", "B04"]
    for position, index in enumerate([1, 2]):
        for band in ("B08", "B04"):
            expected = stored(demo, band, index)[4:16, 2:10]
            np.testing.assert_array_equal(dataset[band].values[position], expected)


def test_load_stac_of_a_path_in_the_data_root_with_a_cloud_filter(connection, demo, collection_path):
    covers = [demo.cloud_cover(i) for i in range(len(DATES))]
    limit = sorted(covers)[0]  # only the least cloudy date
    cube = connection.load_stac(
        collection_path, bands=["SCL"], properties={"eo:cloud_cover": lambda value: value <= limit}
    )
    dataset = read_netcdf(cube.download(format="netCDF"))
    kept = covers.index(limit)
    assert [str(t)[:10] for t in dataset["t"].values] == [str(DATES[kept])]
    np.testing.assert_array_equal(dataset["SCL"].values[0], stored(demo, "SCL", kept))


def test_load_result_and_load_stac_of_a_finished_job(server, connection, demo, collection_path):
    job = (
        connection.load_stac(collection_path, bands=["B04", "B08"])
        .save_result(format="GTiff")
        .create_job(title="reflectance")
    )
    job.start_and_wait(max_poll_interval=0.5)
    assert job.status() == "finished"

    again = read_netcdf(connection.load_result(job.job_id, bands=["B08"]).download(format="netCDF"))
    assert [str(t)[:10] for t in again["t"].values] == [str(day) for day in DATES]
    assert bands_of(again) == ["B08"]
    for index in range(len(DATES)):
        np.testing.assert_array_equal(again["B08"].values[index], stored(demo, "B08", index))

    # The signed canonical link of the results works without a login, here read by the server itself.
    links = job.get_results().get_metadata()["links"]
    canonical = next(link["href"] for link in links if link["rel"] == "canonical")
    first = read_netcdf(connection.load_stac(canonical, bands=["B04"]).download(format="netCDF"))
    np.testing.assert_array_equal(first["B04"].values[0], stored(demo, "B04", 0))

    # load_url of one signed result file: read from disk too.
    assets = job.get_results().get_metadata()["assets"]
    first_file = assets[f"result_{DATES[0]}.tif"]["href"]
    values = read_tif(connection.load_url(first_file, format="GTiff").download(format="GTiff"))
    np.testing.assert_array_equal(values[1], stored(demo, "B08", 0))

    # openEO 2.0 style: load_stac of the job's results address (this server reads its own files).
    mean = connection.load_stac(f"{server.url}/jobs/{job.job_id}/results").reduce_dimension(
        "t", reducer="mean"
    )
    actual = read_tif(mean.download(format="GTiff"))
    for position, band in enumerate(["B04", "B08"]):
        expected = np.nanmean(np.stack([stored(demo, band, i) for i in range(len(DATES))]), axis=0)
        np.testing.assert_allclose(actual[position], expected, rtol=1e-6)


def test_load_result_of_someone_elses_or_unfinished_job_is_refused(app, server, connection, collection_path):
    job = connection.load_stac(collection_path, bands=["B04"]).create_job(title="not started")
    with pytest.raises(OpenEoApiError) as caught:
        connection.load_result(job.job_id).download(format="netCDF")
    assert caught.value.code == "JobNotFinished" and caught.value.http_status_code == 400

    add_user(app, "bob")
    bob = openeo.connect(server.url, auto_validate=False).authenticate_basic("bob", PASSWORD)
    for job_id in (job.job_id, "no-such-job"):
        with pytest.raises(OpenEoApiError) as caught:
            bob.load_result(job_id).download(format="netCDF")
        assert caught.value.code == "JobNotFound" and caught.value.http_status_code == 404


def test_load_url_of_a_cog_and_a_geojson(connection, tmp_path):
    web_folder = tmp_path / "web"
    dem = synthetic.write_dem(web_folder / "dem.tif", size=32)
    polygon = [[[4.0, 51.0], [4.2, 51.0], [4.2, 51.2], [4.0, 51.0]]]
    features = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": polygon}}
        ],
    }
    (web_folder / "area.geojson").write_text(json.dumps(features))
    with StaticServer(web_folder) as web:
        heights = read_tif(connection.load_url(f"{web.url}/dem.tif", format="GTiff").download(format="GTiff"))
        shapes = connection.load_url(f"{web.url}/area.geojson", format="GeoJSON").download(format="GeoJSON")
    expected = np.where(dem.elevation == dem.nodata, np.nan, dem.elevation)
    np.testing.assert_array_equal(heights[0], expected)
    geojson = json.loads(shapes)
    assert len(geojson["features"]) == 1
    assert geojson["features"][0]["geometry"]["coordinates"] == polygon
