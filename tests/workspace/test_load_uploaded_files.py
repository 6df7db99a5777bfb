"""load_uploaded_files through the engine: files in a user's files folder read as cubes, checked against the
arrays the synthetic writers stored; confinement, missing files and wrong formats give openEO errors."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
import shapely

from openeo_gip.demodata import synthetic
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ProcessContext
from openeo_gip.model.vectors import geometries_of, is_vector_cube
from openeo_gip.processes.load.uploaded import load_uploaded_files
from openeo_gip.workspace import files_folder
from tests.conftest import make_config


def _feature(name: str, coordinates: list) -> dict:
    return {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "Point", "coordinates": coordinates},
    }


@pytest.fixture
def ctx(tmp_path):
    config = make_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    return ProcessContext(
        services=types.SimpleNamespace(config=config, db=None), user=types.SimpleNamespace(id="u1")
    )


@pytest.fixture
def root(ctx):
    folder = files_folder(ctx.services.config, "u1")
    folder.mkdir(parents=True)
    return folder


def _dated_dems(root):
    """Two elevation COGs named by date, the second one shifted by 100 m."""
    first = synthetic.write_dem(root / "in" / "dem_2024-05-01.tif", size=24)
    elevation = np.where(first.elevation == first.nodata, first.nodata, first.elevation + 100).astype(
        "float32"
    )
    synthetic.write_cog(
        root / "in" / "dem_2024-06-01.tif", elevation, first.transform, first.crs, first.nodata, "elevation"
    )
    return first


def test_dated_geotiffs_stack_along_t(ctx, root):
    dem = _dated_dems(root)
    cube = load_uploaded_files(["in/dem_2024-06-01.tif", "in/dem_2024-05-01.tif"], "gtiff", ctx=ctx)
    assert cube.sizes == {"t": 2, "bands": 1, "y": 24, "x": 24}
    assert [str(t)[:10] for t in cube["t"].values] == ["2024-05-01", "2024-06-01"]
    expected = np.where(dem.elevation == dem.nodata, np.nan, dem.elevation)
    np.testing.assert_array_equal(cube.values[0, 0], expected)
    np.testing.assert_array_equal(cube.values[1, 0], expected + 100)


def test_one_undated_geotiff_has_no_time(ctx, root):
    dem = synthetic.write_dem(root / "dem.tif", size=20)
    cube = load_uploaded_files(["dem.tif"], "GTiff", ctx=ctx)
    assert cube.dims == ("bands", "y", "x") and list(cube["bands"].values) == ["elevation"]
    np.testing.assert_array_equal(
        cube.values[0], np.where(dem.elevation == dem.nodata, np.nan, dem.elevation)
    )


def test_netcdf_keeps_its_time_and_variables(ctx, root):
    temperature = synthetic.write_netcdf_cube(root / "t2m.nc", size=10, days=3)
    cube = load_uploaded_files(["t2m.nc"], "NetCDF", ctx=ctx)
    assert cube.sizes == {"t": 3, "bands": 1, "y": 10, "x": 10}
    assert list(cube["bands"].values) == [temperature.variable]
    assert [str(t)[:10] for t in cube["t"].values] == [str(day) for day in temperature.times]
    np.testing.assert_allclose(cube.values[:, 0], temperature.values(), rtol=1e-6)


def test_geojson_files_become_one_vector_cube(ctx, root):
    (root / "a.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [_feature("a", [4, 51])]})
    )
    (root / "b.json").write_text(json.dumps(_feature("b", [5, 52])))
    cube = load_uploaded_files(["a.geojson", "b.json"], "geojson", ctx=ctx)
    assert is_vector_cube(cube)
    shapes = geometries_of(cube)
    assert len(shapes) == 2 and shapely.equals(shapes[1], shapely.Point(5, 52))


@pytest.mark.parametrize(
    ("paths", "format_name", "code", "text"),
    [
        (["missing.tif"], "GTiff", "FileNotFound", "missing.tif"),
        (["../u2/files/dem.tif"], "GTiff", "FilePathInvalid", "'..'"),
        (["/etc/hostname"], "GTiff", "FilePathInvalid", "relative"),
        (["dem.tif"], "XLSX", "FormatUnsuitable", "GTiff"),
        (["t2m.nc"], "GTiff", "FormatUnsuitable", "not in this format"),
        (["dem.tif"], "netCDF", "FormatUnsuitable", "not in this format"),
        (["notes.txt"], "GeoJSON", "FormatUnsuitable", "not JSON"),
        (["dem.tif", "in/dem_2024-05-01.tif"], "GTiff", "FormatUnsuitable", "no time"),
        ([], "GTiff", "ProcessParameterInvalid", "at least one"),
    ],
)
def test_bad_paths_and_formats_are_client_errors(ctx, root, paths, format_name, code, text):
    _dated_dems(root)
    synthetic.write_dem(root / "dem.tif", size=24)
    synthetic.write_netcdf_cube(root / "t2m.nc", size=6, days=1)
    (root / "notes.txt").write_text("not JSON")
    with pytest.raises(ApiError) as caught:
        load_uploaded_files(paths, format_name, ctx=ctx)
    assert caught.value.code == code and 400 <= caught.value.status < 500
    assert text in caught.value.message, caught.value.message


def test_another_users_files_are_not_found(ctx, root, tmp_path):
    synthetic.write_dem(files_folder(ctx.services.config, "u2") / "dem.tif", size=12)
    with pytest.raises(ApiError) as caught:
        load_uploaded_files(["dem.tif"], "GTiff", ctx=ctx)
    assert caught.value.code == "FileNotFound"
