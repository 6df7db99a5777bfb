"""run_udf through a live server and the real ``openeo`` client, on a small synthetic Sentinel-2 cube."""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import openeo
import pytest
import requests
import scipy
import xarray as xr
from openeo.rest import OpenEoApiError

from openeo_gip.demodata import synthetic
from tests.conftest import make_config
from tests.support.openapi import assert_valid_response

# Every UDF runs in its own sandboxed process: seconds per test.
pytestmark = pytest.mark.slow

NDVI_UDF = textwrap.dedent(
    """
    import xarray

    def apply_datacube(cube: xarray.DataArray, context: dict) -> xarray.DataArray:
        red = cube.sel(bands="B04")
        nir = cube.sel(bands="B08")
        return ((nir - red) / (nir + red)).expand_dims(bands=["NDVI"])
    """
)
# Pieces of 16 x 16 pixels: the 32 x 32 cube runs in four UDF processes.
UDF_LIMITS = {"cpu_seconds": 2, "memory_mb": 200, "wall_seconds": 8, "file_mb": 20, "piece_pixels": 16}


@pytest.fixture
def s2(tmp_path) -> synthetic.Sentinel2Demo:
    return synthetic.write_sentinel2_demo(tmp_path / "data" / "S2", size=32, dates=2, blocksize=16)


def udf_config(tmp_path, db_url, limits: dict):
    """A config for UDF tests: one dask worker, one job runner and the given UDF limits."""
    dask = {"n_workers": 1, "threads_per_worker": 2, "memory_limit": "6GiB"}
    return make_config(tmp_path, db_url, dask=dask, jobs={"runner_threads": 1}, udf=limits)


@pytest.fixture
def config(tmp_path, db_url, s2):
    return udf_config(tmp_path, db_url, UDF_LIMITS)


def netcdf(content: bytes) -> xr.DataArray:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.nc"
        path.write_bytes(content)
        with xr.open_dataset(path) as dataset:
            dataset = dataset.load()
    names = [name for name in dataset.data_vars if dataset[name].ndim >= 2]
    return dataset[names[0]] if len(names) == 1 else dataset[names].to_dataarray("bands")


def source(demo: synthetic.Sentinel2Demo, band: str) -> np.ndarray:
    stack = np.stack([demo.array(band, i) for i in range(len(demo.dates))]).astype(np.float64)
    stack[stack == 0] = np.nan
    return stack


def test_ndvi_udf_in_apply_dimension_equals_the_builtin_ndvi(connection, s2):
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    udf = openeo.UDF(NDVI_UDF, runtime="Python")
    by_udf = netcdf(cube.apply_dimension(process=udf, dimension="bands").download(format="netCDF"))
    builtin = netcdf(cube.ndvi(nir="B08", red="B04").download(format="netCDF"))
    red, nir = source(s2, "B04"), source(s2, "B08")
    with np.errstate(all="ignore"):
        expected = (nir - red) / (nir + red)
    np.testing.assert_allclose(by_udf.squeeze().values, builtin.squeeze().values, equal_nan=True)
    np.testing.assert_allclose(by_udf.squeeze().values, expected, rtol=1e-6, equal_nan=True)


def test_reducer_udf_with_context(connection, s2):
    code = textwrap.dedent(
        """
        def apply_datacube(cube, context):
            return cube.max(dim="t") * context["scale"] + context["offset"]
        """
    )
    cube = connection.load_collection("S2", bands=["B08"])
    udf = openeo.UDF(code, runtime="python", context={"scale": 2, "offset": -1})
    result = netcdf(cube.reduce_dimension(dimension="t", reducer=udf).download(format="netCDF"))
    expected = np.nanmax(source(s2, "B08"), axis=0) * 2 - 1
    np.testing.assert_allclose(result.squeeze().values, expected, equal_nan=True)


def test_udf_per_window_of_apply_neighborhood(connection, s2):
    code = "def apply_datacube(cube, context):\n    return cube - cube.mean(dim=['x', 'y'])\n"
    cube = connection.load_collection("S2", bands=["B04"])
    size = [{"dimension": "x", "value": 16, "unit": "px"}, {"dimension": "y", "value": 16, "unit": "px"}]
    windows = cube.apply_neighborhood(process=openeo.UDF(code, runtime="Python"), size=size)
    result = netcdf(windows.download(format="netCDF"))
    expected = source(s2, "B04")
    for row, col in [(0, 0), (0, 16), (16, 0), (16, 16)]:
        window = expected[:, row : row + 16, col : col + 16]
        window -= np.nanmean(window, axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(result.values.reshape(2, 32, 32), expected, atol=1e-3, equal_nan=True)


def test_udf_file_from_the_workspace_at_top_level(connection, s2, tmp_path):
    script = tmp_path / "double.py"
    script.write_text("def apply_datacube(cube, context):\n    return cube * 2\n")
    connection.upload_file(script, target="udfs/double.py")
    cube = connection.load_collection("S2", bands=["B04"])
    result = netcdf(
        cube.process("run_udf", data=cube, udf="udfs/double.py", runtime="Python").download(format="netCDF")
    )
    np.testing.assert_allclose(result.values.reshape(2, 32, 32), source(s2, "B04") * 2, equal_nan=True)
    with pytest.raises(OpenEoApiError) as missing:
        cube.process("run_udf", data=cube, udf="udfs/none.py", runtime="Python").download(format="netCDF")
    assert missing.value.code == "FileNotFound"


def run_failing(connection, code: str) -> OpenEoApiError:
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    udf = openeo.UDF(textwrap.dedent(code), runtime="Python")
    with pytest.raises(OpenEoApiError) as caught:
        cube.apply_dimension(process=udf, dimension="bands").download(format="netCDF")
    return caught.value


def assert_server_still_works(connection, s2):
    cube = connection.load_collection("S2", bands=["B04"]).reduce_dimension("t", reducer="max")
    result = netcdf(cube.download(format="netCDF"))
    np.testing.assert_allclose(result.squeeze().values, np.nanmax(source(s2, "B04"), axis=0), equal_nan=True)


def test_failing_udfs_give_clear_errors_and_the_server_stays_healthy(connection, s2):
    raised = run_failing(connection, "def apply_datacube(cube, context):\n    raise RuntimeError('my bad')\n")
    assert raised.code == "UdfError" and raised.http_status_code == 400
    assert "RuntimeError: my bad" in raised.message and "line 2, in apply_datacube" in raised.message
    assert "site-packages" not in raised.message and "openeo_gip" not in raised.message
    looping = run_failing(connection, "def apply_datacube(cube, context):\n    while True:\n        pass\n")
    assert looping.code == "UdfError" and "2 seconds of CPU time" in looping.message
    hog = run_failing(
        connection,
        "import numpy as np\ndef apply_datacube(cube, context):\n    return cube + np.ones(10 * 2**30)[0]\n",
    )
    assert hog.code == "UdfError" and "200 MB of memory" in hog.message
    exiting = run_failing(connection, "import os\ndef apply_datacube(cube, context):\n    os._exit(3)\n")
    assert exiting.code == "UdfError" and "exit status 3" in exiting.message
    assert_server_still_works(connection, s2)


def test_a_failure_in_a_later_piece_is_reported_too(connection, s2):
    """The first piece runs while the graph is evaluated, the others later as dask tasks."""
    first_x = s2.transform.c + s2.transform.a / 2
    code = "def apply_datacube(cube, context):\n    if cube.x.values[0] > context['x0'] + 1:\n"
    code += "        raise ValueError('late piece')\n    return cube\n"
    cube = connection.load_collection("S2", bands=["B04"])
    udf = openeo.UDF(code, runtime="Python", context={"x0": first_x})
    with pytest.raises(OpenEoApiError) as caught:
        cube.apply(udf).download(format="netCDF")
    assert caught.value.code == "UdfError" and "ValueError: late piece" in caught.value.message


def test_wrong_runtime_version_or_udf_source(connection, s2, server, alice):
    cube = connection.load_collection("S2", bands=["B04"])
    cases = [
        ({"runtime": "R"}, "InvalidRuntime"),
        ({"runtime": "Python", "version": "2.7"}, "InvalidVersion"),
        ({"runtime": "Python", "udf": "https://example.com/udf.py"}, "ProcessParameterInvalid"),
        ({"runtime": "Python", "udf": "../../secret.py"}, "FilePathInvalid"),
    ]
    for arguments, code in cases:
        arguments = {"udf": "def apply_datacube(cube, context):\n    return cube\n", **arguments}
        with pytest.raises(OpenEoApiError) as caught:
            cube.process("run_udf", data=cube, **arguments).download(format="netCDF")
        assert caught.value.code == code and caught.value.http_status_code in (400, 404)


def test_udf_runtimes_list_python_and_its_libraries(server):
    response = requests.get(server.url + "/udf_runtimes", timeout=30)
    assert_valid_response(server.url, response)
    python = response.json()["Python"]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert python["type"] == "language" and python["default"] == version
    libraries = python["versions"][version]["libraries"]
    assert libraries["numpy"]["version"] == np.__version__
    assert libraries["xarray"]["version"] == xr.__version__
    assert "pandas" in libraries
    # What UDFs of other openEO back-ends import is installed with the runtime.
    assert libraries["openeo"]["version"] == openeo.__version__
    assert libraries["scipy"]["version"] == scipy.__version__


def test_the_udf_cannot_see_the_servers_environment(connection, s2, monkeypatch):
    monkeypatch.setenv("OPENEO_GIP_DATABASE__URL", "postgresql://secret@db/prod")
    code = textwrap.dedent(
        """
        import os
        def apply_datacube(cube, context):
            leaked = [n for n in os.environ if n.startswith("OPENEO") or "DATABASE" in n]
            if leaked or os.getcwd() != os.environ["HOME"]:
                raise RuntimeError("leak: " + ",".join(leaked))
            return cube.fillna(0) * 0 + len(os.listdir("."))
        """
    )
    cube = connection.load_collection("S2", bands=["B04"])
    result = netcdf(cube.apply(openeo.UDF(code, runtime="Python")).download(format="netCDF"))
    # Its folder holds only what the server put there for it: the input, the header and the code.
    assert set(np.unique(result.values)) == {3.0}


def test_a_batch_job_reports_the_failure_of_a_udf_in_its_logs(connection, s2):
    code = "def apply_datacube(cube, context):\n    if cube.x.values[0] > context['x0'] + 1:\n"
    code += "        raise ValueError('late piece')\n    return cube\n"
    udf = openeo.UDF(code, runtime="Python", context={"x0": s2.transform.c + s2.transform.a / 2})
    failing = (
        connection.load_collection("S2", bands=["B04"]).apply(udf).save_result(format="netCDF").create_job()
    )
    with pytest.raises(openeo.rest.JobFailedException):
        failing.start_and_wait(max_poll_interval=0.5)
    errors = [entry for entry in failing.logs() if entry["level"] == "error"]
    assert any("ValueError: late piece" in entry["message"] for entry in errors)
