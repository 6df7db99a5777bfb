"""Vector cube writers (GeoJSON, CSV, GeoParquet, netCDF) and the Zarr raster writer, read back with
independent readers (json, pandas, geopandas, xarray)."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr
import zarr

from openeo_gip.errors import ApiError
from openeo_gip.formats import file_formats, media_type, write_result
from openeo_gip.model.values import SaveRequest
from openeo_gip.model.vectors import vector_cube
from openeo_gip.processes.cube.zonal import aggregate_spatial
from tests.support.cube_builders import ORIGIN_X, ORIGIN_Y, make_cube, mean_reducer

FIELDS = [
    shapely.box(ORIGIN_X, ORIGIN_Y - 30, ORIGIN_X + 20, ORIGIN_Y),
    shapely.box(ORIGIN_X + 20, ORIGIN_Y - 60, ORIGIN_X + 50, ORIGIN_Y - 20),
]


@pytest.fixture(scope="module")
def zonal():
    """Mean per field, date and band, and the same numbers computed with numpy on the pixel blocks."""
    cube = make_cube(height=6, width=5, nan_fraction=0.2)
    vectors = vector_cube(FIELDS, "EPSG:32631", {"name": ["alpha", "beta"], "area": [600.0, 1200.0]})
    result = aggregate_spatial(cube, vectors, mean_reducer())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.stack(
            [
                np.nanmean(cube.values[:, :, 0:3, 0:2], axis=(2, 3)),
                np.nanmean(cube.values[:, :, 2:6, 2:5], axis=(2, 3)),
            ]
        )
    return result, expected, cube


def test_formats_are_announced_with_vector_types():
    for name in ("GeoJSON", "CSV", "GeoParquet"):
        assert file_formats()["output"][name]["gis_data_types"] == ["vector"]
    assert "vector" in file_formats()["output"]["netCDF"]["gis_data_types"]
    assert media_type("geojson") == "application/geo+json" and media_type("zarr") == "application/zip"


def test_geojson_one_feature_per_geometry_in_wgs84(tmp_path, dask_client, zonal):
    result, expected, cube = zonal
    [path] = write_result(SaveRequest(result, "GeoJSON"), tmp_path, client=dask_client)
    document = json.loads(path.read_text())
    assert document["type"] == "FeatureCollection" and len(document["features"]) == 2
    first = document["features"][0]
    assert first["properties"]["name"] == "alpha" and first["properties"]["area"] == 600.0
    lon, lat = shapely.geometry.shape(first["geometry"]).centroid.coords[0]
    assert 2.9 < lon < 3.1 and 50.5 < lat < 50.6  # UTM 31N near 500 km east, 5600 km north
    key = "2021-01-20T00:00:00Z~B04"
    for index, feature in enumerate(document["features"]):
        value = feature["properties"][key]
        assert value == pytest.approx(float(expected[index, 1, 1]), rel=1e-6)


def test_csv_long_table(tmp_path, dask_client, zonal):
    result, expected, cube = zonal
    [path] = write_result(SaveRequest(result, "csv"), tmp_path, client=dask_client)
    table = pd.read_csv(path)
    assert list(table.columns) == ["feature_index", "name", "area", "t", "bands", "value"]
    assert len(table) == 2 * 4 * 3
    for index in range(2):
        for t_index, t in enumerate(pd.DatetimeIndex(cube["t"].values)):
            for b_index, band in enumerate(("B02", "B04", "B08")):
                row = table[
                    (table.feature_index == index)
                    & (table.t == t.strftime("%Y-%m-%dT%H:%M:%SZ"))
                    & (table.bands == band)
                ]
                assert len(row) == 1
                want = expected[index, t_index, b_index]
                got = row["value"].iloc[0]
                assert (np.isnan(want) and np.isnan(got)) or got == pytest.approx(float(want), rel=1e-6)


def test_geoparquet_keeps_crs_geometries_and_values(tmp_path, dask_client, zonal):
    result, expected, _ = zonal
    [path] = write_result(SaveRequest(result, "GeoParquet"), tmp_path, client=dask_client)
    frame = gpd.read_parquet(path)
    assert frame.crs.to_epsg() == 32631
    assert frame.geometry.iloc[1].equals(FIELDS[1])
    assert list(frame["name"]) == ["alpha", "beta"]
    np.testing.assert_allclose(frame["2021-04-11T00:00:00Z~B08"].to_numpy(), expected[:, 3, 2], rtol=1e-6)


def test_vector_netcdf_and_json(tmp_path, dask_client, zonal):
    result, expected, _ = zonal
    [path] = write_result(SaveRequest(result, "netCDF"), tmp_path / "nc", client=dask_client)
    with xr.open_dataset(path) as dataset:
        assert dataset["data"].dims == ("geometry", "t", "bands")
        np.testing.assert_allclose(dataset["data"].values, expected, rtol=1e-6)
        assert shapely.from_wkt(str(dataset["geometry_wkt"].values[0])).equals(FIELDS[0])
        assert "32631" in dataset.attrs["crs"]
    [path] = write_result(SaveRequest(result, "JSON"), tmp_path / "json", client=dask_client)
    assert json.loads(path.read_text())["type"] == "FeatureCollection"


def test_vector_formats_refuse_raster_cubes(tmp_path):
    with pytest.raises(ApiError) as error:
        write_result(SaveRequest(make_cube(), "GeoJSON"), tmp_path)
    assert error.value.code == "FormatUnsuitable"


def test_zarr_round_trip_of_a_raster_cube(tmp_path, dask_client):
    cube = make_cube()
    [path] = write_result(SaveRequest(cube, "Zarr"), tmp_path, client=dask_client)
    assert path.name == "result.zarr.zip"
    store = zarr.storage.ZipStore(path, mode="r")
    with xr.open_zarr(store, decode_coords="all") as dataset:
        assert dataset["data"].dims == ("t", "bands", "y", "x")
        np.testing.assert_array_equal(dataset["data"].values, cube.values)
        assert list(dataset["bands"].values) == ["B02", "B04", "B08"]
        assert (dataset["t"].values == cube["t"].values).all()
        assert dataset.rio.crs.to_epsg() == 32631
