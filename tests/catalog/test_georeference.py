"""Files that state no CRS: CF netCDF on latitude/longitude without a grid mapping (as ERA5, CHIRPS and CMIP
files are) is on WGS 84; a sidecar's ``crs`` gives any source its CRS; a file with no georeference at all is
refused with a message that says what to add."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from openeo_gip.catalog.index import refresh_index
from openeo_gip.catalog.metadata import collection_document
from openeo_gip.demodata import synthetic
from tests.support.catalogs import scan
from tests.support.results import read_netcdf


def _dimensions(catalog, collection_id: str) -> dict:
    return collection_document(catalog.get(collection_id), "http://test")["cube:dimensions"]


@pytest.mark.parametrize("axes", [("latitude", "longitude"), ("lat", "lon")])
def test_cf_netcdf_without_grid_mapping_is_on_wgs84(data_root, tmp_path, axes):
    cube = synthetic.write_netcdf_cube(
        data_root / "ERA5_LIKE.nc", size=12, days=3, grid_mapping=False, axes=axes
    )
    catalog = scan(data_root, tmp_path / "system")
    dims = _dimensions(catalog, "ERA5_LIKE")
    assert dims["x"]["reference_system"] == 4326
    assert np.allclose(dims["y"]["extent"], [cube.lat[0] - 0.005, cube.lat[-1] + 0.005])
    assert np.allclose(dims["x"]["extent"], [cube.lon[0] - 0.005, cube.lon[-1] + 0.005])


def test_a_geotiff_without_crs_is_refused_with_what_to_add_then_read_with_the_sidecars(data_root, tmp_path):
    folder = data_root / "PLAIN"
    folder.mkdir()
    values = np.arange(16 * 16, dtype="float32").reshape(1, 16, 16)
    profile = {"driver": "GTiff", "width": 16, "height": 16, "count": 1, "dtype": "float32"}
    transform = Affine(30.0, 0, 600000.0, 0, -30.0, 5700000.0)
    with rasterio.open(folder / "plain_20230105.tif", "w", transform=transform, **profile) as dst:
        dst.write(values)

    failure = refresh_index(data_root, tmp_path / "system").failed["PLAIN"]
    assert 'crs = "EPSG:<code>"' in failure.reason and "collection.toml" in failure.reason

    (folder / "collection.toml").write_text('crs = "EPSG:32631"\n', encoding="utf-8")
    dims = _dimensions(scan(data_root, tmp_path / "system"), "PLAIN")
    assert dims["x"]["reference_system"] == 32631
    assert dims["x"]["extent"] == [600000.0, 600000.0 + 16 * 30]


def test_a_sidecar_crs_that_names_no_crs_is_reported(data_root, tmp_path):
    synthetic.write_netcdf_cube(data_root / "T.nc", size=8, days=2, grid_mapping=False)
    (data_root / "T.toml").write_text('crs = "EPSG:999999"\n', encoding="utf-8")
    failure = refresh_index(data_root, tmp_path / "system").failed["T"]
    assert "is not a coordinate reference system" in failure.reason


@pytest.fixture
def era5(data_root) -> synthetic.NetcdfCube:
    return synthetic.write_netcdf_cube(
        data_root / "ERA5_LIKE.nc", size=12, days=3, grid_mapping=False, axes=("latitude", "longitude")
    )


def test_a_cf_netcdf_collection_and_an_upload_of_it_give_its_values(era5, connection):
    box = {"west": 4.4, "south": 51.3, "east": 4.52, "north": 51.42}
    expected = era5.values()
    from_catalog = connection.load_collection("ERA5_LIKE", spatial_extent=box)
    connection.upload_file(era5.path, target="era5.nc")
    uploaded = connection.datacube_from_process("load_uploaded_files", paths=["era5.nc"], format="netCDF")
    for cube in (from_catalog, uploaded):
        result = read_netcdf(cube.download(format="netCDF"))
        values = result["temperature"].transpose("t", "y", "x").values
        np.testing.assert_allclose(values, expected, rtol=1e-6, equal_nan=True)
        assert result["y"].values[0] > result["y"].values[-1]  # north first, as the reader returns rows
