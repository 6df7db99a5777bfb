"""load_url through the engine, with files served over loopback HTTP: a COG read where it lies, a netCDF
downloaded first, a GeoJSON as vector cube; values compared with what the synthetic writers stored."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
import shapely

from openeo_gip.demodata import synthetic
from openeo_gip.errors import ApiError
from openeo_gip.jobs.finished_results import FinishedResults
from openeo_gip.model.values import ProcessContext
from openeo_gip.model.vectors import geometries_of, is_vector_cube
from openeo_gip.processes.load.url import load_url
from tests.conftest import LOOPBACK_ALLOWED, make_config
from tests.support.static_http import StaticServer

FEATURES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "field"},
            "geometry": {"type": "Polygon", "coordinates": [[[4, 51], [4.1, 51], [4.1, 51.1], [4, 51]]]},
        },
        {
            "type": "Feature",
            "properties": {"name": "well"},
            "geometry": {"type": "Point", "coordinates": [4, 51]},
        },
    ],
}


@pytest.fixture
def ctx(tmp_path):
    # The files are served on 127.0.0.1, which the default configuration refuses to fetch.
    config = make_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", remote=LOOPBACK_ALLOWED)
    services = types.SimpleNamespace(config=config, db=None, job_results=FinishedResults(config, None))
    return ProcessContext(services=services, user=None)


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "web"
    dem = synthetic.write_dem(folder / "dem.tif", size=40)
    temperature = synthetic.write_netcdf_cube(folder / "temperature.nc", size=12, days=3)
    (folder / "places.geojson").write_text(json.dumps(FEATURES))
    (folder / "notes.txt").write_text("not a raster")
    with StaticServer(folder) as server:
        yield server.url, dem, temperature


def test_cog_is_read_over_http(files, ctx):
    url, dem, _ = files
    cube = load_url(f"{url}/dem.tif", "gtiff", ctx=ctx)
    assert cube.dims == ("bands", "y", "x") and list(cube["bands"].values) == ["elevation"]
    expected = np.where(dem.elevation == dem.nodata, np.nan, dem.elevation)
    np.testing.assert_array_equal(cube.values[0], expected)
    assert cube["x"].values[0] == pytest.approx(dem.transform.c + 15)


def test_netcdf_is_downloaded_then_read(files, ctx):
    url, _, temperature = files
    cube = load_url(f"{url}/temperature.nc", "NETCDF", ctx=ctx)
    assert cube.sizes == {"t": 3, "bands": 1, "y": 12, "x": 12}
    assert [str(t)[:10] for t in cube["t"].values] == [str(day) for day in temperature.times]
    np.testing.assert_allclose(cube.values[:, 0], temperature.values(), rtol=1e-6)
    downloads = list((ctx.services.config.paths.system_files / "downloads").iterdir())
    assert len(downloads) == 1 and downloads[0].suffix == ".nc"


def test_geojson_becomes_a_vector_cube(files, ctx):
    url, _, _ = files
    cube = load_url(f"{url}/places.geojson", "GeoJSON", ctx=ctx)
    assert is_vector_cube(cube)
    shapes = geometries_of(cube)
    assert [shape.geom_type for shape in shapes] == ["Polygon", "Point"]
    assert shapely.equals(shapes[1], shapely.Point(4, 51))


@pytest.mark.parametrize(
    ("address", "format_name", "options", "code", "text"),
    [
        ("{url}/dem.tif", "XLSX", {}, "FormatUnsuitable", "GTiff"),
        ("{url}/notes.txt", "GTiff", {}, "FormatUnsuitable", "cannot be read as GTiff"),
        ("{url}/notes.txt", "GeoJSON", {}, "FormatUnsuitable", "not JSON"),
        ("{url}/missing.tif", "GTiff", {}, "ProcessParameterInvalid", "HTTP 404"),
        ("{url}/dem.tif", "GTiff", {"band": 2}, "ProcessParameterInvalid", "no option band"),
        ("file:///etc/hostname", "GTiff", {}, "ProcessParameterInvalid", "http(s)"),
        ("http://127.0.0.1:9/x.tif", "GTiff", {}, "ProcessParameterInvalid", "cannot be reached"),
    ],
)
def test_bad_addresses_and_formats_are_client_errors(files, ctx, address, format_name, options, code, text):
    url, _, _ = files
    with pytest.raises(ApiError) as caught:
        load_url(address.format(url=url), format_name, options, ctx=ctx)
    assert caught.value.code == code and caught.value.status == 400
    assert text in caught.value.message, caught.value.message
