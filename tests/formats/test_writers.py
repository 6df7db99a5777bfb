"""The writers behind save_result, read back with rasterio and xarray."""

from __future__ import annotations

import json
import warnings

import jsonschema
import numpy as np
import pyproj
import pytest
import rasterio
import xarray as xr
from openeo.udf.xarraydatacube import XarrayDataCube

from openeo_gip.errors import ApiError
from openeo_gip.formats import file_formats, media_type, write_result
from openeo_gip.formats.png import to_bytes
from openeo_gip.model.values import SaveRequest
from tests.support.cube_builders import CRS, ORIGIN_X, ORIGIN_Y, PIXEL, make_cube


def test_gtiff_one_cog_per_date_with_band_names_nodata_and_grid(tmp_path, dask_client):
    cube = make_cube(height=40, width=36, times=("2021-01-05", "2021-03-01"))
    paths = write_result(SaveRequest(cube, "gtiff", {"tile_size": 16}), tmp_path, client=dask_client)
    assert [p.name for p in paths] == ["result_2021-01-05.tif", "result_2021-03-01.tif"]
    for index, path in enumerate(paths):
        with rasterio.open(path) as source:
            assert source.descriptions == ("B02", "B04", "B08")
            assert np.isnan(source.nodata)
            assert source.crs == rasterio.crs.CRS.from_user_input(CRS)
            assert source.transform.c == ORIGIN_X and source.transform.f == ORIGIN_Y
            assert source.transform.a == PIXEL and source.transform.e == -PIXEL
            assert source.profile["tiled"] and source.block_shapes[0] == (16, 16)
            assert source.compression.name.lower() == "deflate"
            assert source.overviews(1), "a COG has overviews"
            assert source.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            np.testing.assert_array_equal(source.read(), cube.values[index])


def test_gtiff_without_time_and_bool_values(tmp_path, dask_client):
    cube = make_cube().mean("t") > 1500
    (path,) = write_result(SaveRequest(cube, "GTiff", {}), tmp_path, client=dask_client)
    with rasterio.open(path) as source:
        assert source.dtypes[0] == "uint8" and source.count == 3
        np.testing.assert_array_equal(source.read(), cube.values.astype(np.uint8))


def test_gtiff_rejects_extra_dimensions_and_unknown_formats(tmp_path):
    cube = make_cube().expand_dims(run=["a"])
    with pytest.raises(ApiError) as error:
        write_result(SaveRequest(cube, "GTiff", {}), tmp_path)
    assert error.value.code == "FormatUnsuitable" and error.value.status == 400
    with pytest.raises(ApiError) as error:
        write_result(SaveRequest(cube, "XLSX", {}), tmp_path)
    assert error.value.code == "FormatUnsupported" and error.value.status == 400


def test_netcdf_is_cf_with_crs_and_time(tmp_path, dask_client):
    cube = make_cube()
    (path,) = write_result(SaveRequest(cube, "NETCDF", {}), tmp_path, client=dask_client)
    with xr.open_dataset(path, decode_coords="all") as dataset:
        assert set(dataset.data_vars) == {"B02", "B04", "B08"}
        np.testing.assert_array_equal(dataset["t"].values, cube["t"].values)
        np.testing.assert_array_equal(dataset["B08"].values, cube.sel(bands="B08").values)
        assert dataset["B08"].attrs.get("grid_mapping") == "spatial_ref" or (
            dataset["B08"].encoding.get("grid_mapping") == "spatial_ref"
        )
        assert pyproj.CRS.from_wkt(dataset["spatial_ref"].attrs["crs_wkt"]) == pyproj.CRS.from_user_input(CRS)
        assert dataset["t"].attrs["standard_name"] == "time"
    with xr.open_dataset(path, decode_times=False) as raw:
        assert raw["t"].attrs["units"].startswith("seconds since 1970-01-01")
        assert raw.attrs["Conventions"].startswith("CF-")


def test_netcdf_of_a_cube_without_bands_is_var_and_the_client_reads_both(tmp_path, dask_client):
    cube = make_cube()
    without_bands = cube.sel(bands="B08", drop=True).rename("ndvi")
    for name, value in (("bands", cube), ("one", without_bands)):
        (path,) = write_result(SaveRequest(value, "netCDF", {}), tmp_path / name, client=dask_client)
        read = XarrayDataCube.from_file(path, fmt="netcdf").get_array()  # the openeo client's reader
        expected = value if "bands" in value.dims else value.expand_dims(bands=["var"])
        assert list(read["bands"].values) == list(expected["bands"].values)
        np.testing.assert_array_equal(read.transpose(*expected.dims).values, expected.values)


def test_png_greyscale_and_rgb(tmp_path, dask_client):
    cube = make_cube(height=8, width=8).isel(t=0, drop=True)
    rgb = cube.sel(bands=["B08", "B04", "B02"])
    (path,) = write_result(SaveRequest(rgb, "png", {"scale_min": 0, "scale_max": 3000}), tmp_path / "rgb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path) as source:
            assert source.driver == "PNG" and source.count == 4 and source.dtypes[0] == "uint8"
            pixels = source.read()
    values = rgb.values
    expected = np.clip(np.rint(np.nan_to_num(values / 3000 * 255)), 0, 255)
    np.testing.assert_array_equal(pixels[:3], expected)
    np.testing.assert_array_equal(pixels[3] == 0, np.isnan(values).any(axis=0))
    grey = cube.sel(bands="B04") / 3000 * 200  # within 0..255: written as is
    (path,) = write_result(SaveRequest(grey, "PNG", {}), tmp_path / "grey", client=dask_client)
    with rasterio.open(path) as source:
        assert source.count == 2
        np.testing.assert_array_equal(source.read(1), np.rint(np.nan_to_num(grey.values)))
    with pytest.raises(ApiError) as error:
        write_result(SaveRequest(cube.isel(bands=[0, 1]), "PNG", {}), tmp_path)
    assert error.value.code == "FormatUnsuitable"


def test_png_stretches_values_outside_bytes():
    values = np.array([[[-1.0, 0.0], [1.0, np.nan]]])
    pixels, opaque = to_bytes(values, None, None)
    assert pixels.tolist() == [[[0, 128], [255, 0]]]
    assert opaque.tolist() == [[255, 255], [255, 0]]


def test_json_of_values_and_cubes(tmp_path, dask_client):
    (path,) = write_result(SaveRequest([1, 2.5, float("nan")], "json"), tmp_path / "v")
    assert json.loads(path.read_text()) == [1, 2.5, None]
    cube = make_cube(height=2, width=2).isel(bands=[0])
    (path,) = write_result(SaveRequest(cube, "JSON"), tmp_path / "c", client=dask_client)
    document = json.loads(path.read_text())
    assert document["dimensions"] == ["t", "bands", "y", "x"]
    assert document["labels"]["t"][0] == "2021-01-05T00:00:00Z"
    assert document["labels"]["bands"] == ["B02"]
    values = np.array(document["data"], dtype=float)  # None becomes NaN
    np.testing.assert_allclose(values, cube.values, rtol=1e-6)


def test_file_formats_list_what_is_written():
    assert set(file_formats()["output"]) == {
        "GTiff",
        "netCDF",
        "JSON",
        "PNG",
        "Zarr",
        "GeoJSON",
        "CSV",
        "GeoParquet",
    }
    assert media_type("gtiff").startswith("image/tiff")
    assert media_type("PNG") == "image/png"


def test_gtiff_of_period_labels_names_files_by_label(tmp_path, dask_client):
    from openeo_gip.processes.cube.reduce import aggregate_temporal_period
    from tests.support.cube_builders import mean_reducer

    monthly = aggregate_temporal_period(make_cube(), "month", mean_reducer())
    paths = write_result(SaveRequest(monthly, "GTiff", {}), tmp_path, client=dask_client)
    assert [p.name for p in paths] == [f"result_2021-0{m}.tif" for m in (1, 2, 3, 4)]
    with rasterio.open(paths[2]) as source:  # March has no dates: all nodata
        assert np.isnan(source.read()).all()
    with rasterio.open(paths[1]) as source:
        np.testing.assert_array_equal(source.read(), make_cube().values[2])


def test_every_format_option_default_is_valid_under_its_own_schema():
    documents = file_formats()
    for kind in ("input", "output"):
        for document in documents[kind].values():
            for schema in document["parameters"].values():
                if "default" in schema:
                    jsonschema.validate(schema["default"], schema)  # its error names the schema
