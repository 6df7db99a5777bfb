"""Uploaded files used in process graphs through the official openEO client: a GeoTIFF, a netCDF and a
GeoJSON uploaded with ``upload_file`` and loaded with ``load_uploaded_files``; results compared with numpy on
the uploaded files; other users can neither see nor load them."""

from __future__ import annotations

import json
import warnings

import numpy as np
import openeo
import pytest
import rasterio
import xarray as xr
from openeo.rest import OpenEoApiError
from pyproj import Transformer

from openeo_gip.demodata import synthetic
from tests.conftest import PASSWORD, add_user


@pytest.fixture
def alice_connection(server, alice):
    return openeo.connect(server.url).authenticate_basic("alice", PASSWORD)


@pytest.fixture
def bob_connection(server, app):
    add_user(app, "bob")
    return openeo.connect(server.url).authenticate_basic("bob", PASSWORD)


@pytest.fixture
def local_cog(tmp_path):
    return synthetic.write_dem(tmp_path / "local" / "dem.tif", size=24).path


def _read(path) -> np.ndarray:
    """The first band of a GeoTIFF with its nodata as NaN, read here independently of the server."""
    with rasterio.open(path) as tif:
        values = tif.read(1).astype("float64")
        if tif.nodata is not None:
            values[values == tif.nodata] = np.nan
    return values


def test_uploaded_geotiff_is_processed(alice_connection, local_cog, tmp_path):
    uploaded = alice_connection.upload_file(local_cog, target="in/scene.tif")
    assert str(uploaded.path) == "in/scene.tif"
    assert [str(f.path) for f in alice_connection.list_files()] == ["in/scene.tif"]
    cube = alice_connection.datacube_from_process(
        "load_uploaded_files", paths=["in/scene.tif"], format="GTiff"
    )
    (cube * 2 + 1).download(tmp_path / "out.tif", format="GTiff")
    np.testing.assert_allclose(
        _read(tmp_path / "out.tif"), _read(local_cog) * 2 + 1, rtol=1e-6, equal_nan=True
    )


def test_uploaded_netcdf_mean_over_time(alice_connection, tmp_path):
    temperature = synthetic.write_netcdf_cube(tmp_path / "local" / "t2m.nc", size=10, days=3)
    alice_connection.upload_file(temperature.path, target="climate/t2m.nc")
    cube = alice_connection.datacube_from_process(
        "load_uploaded_files", paths=["climate/t2m.nc"], format="netCDF"
    )
    cube.reduce_dimension(dimension="t", reducer="mean").download(tmp_path / "mean.nc", format="netCDF")
    with xr.open_dataset(temperature.path) as source:  # CF decoding: scale, offset, fill value
        kelvin = source[temperature.variable].values[:, ::-1, :]  # north row first, as the cube
    with xr.open_dataset(tmp_path / "mean.nc") as result:
        values = result[temperature.variable].values
    with warnings.catch_warnings():  # the lake is NaN on every day
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmean(kelvin, axis=0)
    np.testing.assert_allclose(values, expected, rtol=1e-5, equal_nan=True)


def test_uploaded_geojson_zones_aggregate_an_uploaded_raster(alice_connection, local_cog, tmp_path):
    with rasterio.open(local_cog) as tif:
        bounds, crs = tif.bounds, tif.crs
    # Two zones: the west and the east half of the raster, as GeoJSON (lon/lat) transformed from its CRS.
    to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    middle = (bounds.left + bounds.right) / 2
    zones = []
    for name, (west, east) in {"west": (bounds.left, middle), "east": (middle, bounds.right)}.items():
        ring = [(west, bounds.bottom), (east, bounds.bottom), (east, bounds.top), (west, bounds.top)]
        ring = [list(to_wgs84.transform(x, y)) for x, y in ring]
        zones.append(
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        )
    (tmp_path / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": zones}))
    alice_connection.upload_file(local_cog, target="dem.tif")
    alice_connection.upload_file(tmp_path / "zones.geojson", target="zones.geojson")
    dem = alice_connection.datacube_from_process("load_uploaded_files", paths=["dem.tif"], format="GTiff")
    geometries = alice_connection.datacube_from_process(
        "load_uploaded_files", paths=["zones.geojson"], format="GeoJSON"
    )
    result = dem.aggregate_spatial(geometries=geometries, reducer="mean").execute()
    means = {
        feature["properties"]["name"]: feature["properties"]["elevation"] for feature in result["features"]
    }
    values = _read(local_cog)  # pixel centres west of the middle belong to the west zone
    half = values.shape[1] // 2
    assert means["west"] == pytest.approx(np.nanmean(values[:, :half]), rel=1e-6)
    assert means["east"] == pytest.approx(np.nanmean(values[:, half:]), rel=1e-6)


def test_other_users_see_and_load_nothing(alice_connection, bob_connection, alice, local_cog, tmp_path):
    alice_connection.upload_file(local_cog, target="in/scene.tif")
    assert bob_connection.list_files() == []
    for paths, code in [
        (["in/scene.tif"], "FileNotFound"),
        ([f"../../{alice.id}/files/in/scene.tif"], "FilePathInvalid"),
        (["in/../../scene.tif"], "FilePathInvalid"),
    ]:
        cube = bob_connection.datacube_from_process("load_uploaded_files", paths=paths, format="GTiff")
        with pytest.raises(OpenEoApiError) as caught:
            cube.download(tmp_path / "stolen.tif", format="GTiff")
        assert caught.value.code == code and 400 <= caught.value.http_status_code < 500
    assert not (tmp_path / "stolen.tif").exists()
