"""Rasters are opened only with the driver the back-end expects: a GDAL VRT (XML naming another file by
absolute path) saved in a user's workspace under any name must not read that file, neither through the
catalogue functions nor through ``load_uploaded_files``, ``load_stac`` and ``load_url`` on a live server,
while GeoTIFF, netCDF and Zarr sources still open."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
import requests
import xarray as xr
from affine import Affine

from openeo_gip.demodata import synthetic
from openeo_gip.jobs.assets import describe
from openeo_gip.raster.gdal_open import open_raster, read_driver
from openeo_gip.raster.headers import read_headers
from openeo_gip.workspace import files_folder
from tests.conftest import LOOPBACK_ALLOWED, bearer_for, make_config
from tests.support.stac_files import point_item
from tests.support.static_http import StaticServer

SECRET = 4242  # every pixel of the file users must not read
EVIL_NAMES = ["evil.tif", "evil.vrt", "evil"]
TRANSFORM = Affine(10, 0, 600000, 0, -10, 5700000)


def _vrt(source) -> str:
    """A VRT of one band that reads ``source`` (an absolute path) on the same 8 x 8 grid."""
    return f"""<VRTDataset rasterXSize="8" rasterYSize="8">
  <SRS>EPSG:32631</SRS>
  <GeoTransform>600000, 10, 0, 5700000, 0, -10</GeoTransform>
  <VRTRasterBand dataType="Int16" band="1">
    <SimpleSource>
      <SourceFilename relativeToVRT="0">{source}</SourceFilename>
      <SourceBand>1</SourceBand>
    </SimpleSource>
  </VRTRasterBand>
</VRTDataset>
"""


@pytest.fixture
def secret(tmp_path):
    """A GeoTIFF outside every workspace and data folder."""
    path = tmp_path / "elsewhere" / "secret.tif"
    path.parent.mkdir()
    synthetic.write_cog(path, np.full((8, 8), SECRET, "int16"), TRANSFORM, "EPSG:32631", None, "secret")
    return path


@pytest.fixture
def evil_files(tmp_path, secret):
    folder = tmp_path / "workspace"
    folder.mkdir()
    for name in EVIL_NAMES:
        (folder / name).write_text(_vrt(secret))
    return [folder / name for name in EVIL_NAMES]


def test_the_vrt_reads_the_secret_when_gdal_chooses(evil_files):
    # What the fix is about: left to choose, GDAL reads the other file through any of these names.
    for path in evil_files:
        with rasterio.open(path) as vrt:
            assert vrt.driver == "VRT" and (vrt.read(1) == SECRET).all()


def test_driver_follows_the_name_never_the_content():
    assert read_driver("/data/a.TIF") == "GTiff"
    assert read_driver("/data/a.vrt") == read_driver("/data/a") == "GTiff"
    assert read_driver("https://host/scene.tif?sig=1") == "GTiff"
    assert read_driver('NETCDF:"/data/t.nc":temperature') == "netCDF"
    assert read_driver('ZARR:"/data/w.zarr":/ndvi') == "Zarr"
    assert read_driver("/data/t.nc4") == "netCDF"


@pytest.mark.parametrize("name", EVIL_NAMES)
def test_open_raster_and_read_headers_refuse_a_vrt(evil_files, name):
    path = evil_files[EVIL_NAMES.index(name)]
    with pytest.raises(rasterio.errors.RasterioIOError, match="not recognized"):
        open_raster(str(path))
    with pytest.raises(OSError, match="not recognized"):  # the error callers already handle
        read_headers(path)


def test_result_metadata_is_not_read_through_a_vrt(evil_files):
    asset = describe(evil_files[0], evil_files[0].parent)
    assert asset["file"] == "evil.tif" and "proj:shape" not in asset and "raster:bands" not in asset


def test_geotiff_netcdf_and_zarr_still_open(tmp_path, secret):
    (header,) = read_headers(secret)
    with open_raster(header.asset.href) as tif:
        assert tif.driver == "GTiff" and (tif.read(1) == SECRET).all()
    cube = synthetic.write_netcdf_cube(tmp_path / "t2m.nc", size=6, days=2)
    headers = read_headers(cube.path)
    assert [h.asset.href.split(":")[0] for h in headers] == ["NETCDF", "NETCDF"]
    with open_raster(headers[1].asset.href) as nc:
        assert nc.driver == "netCDF"
        np.testing.assert_array_equal(nc.read(2)[::-1], cube.packed[1])  # GDAL: north up
    values = np.arange(2 * 4 * 5, dtype="float32").reshape(2, 4, 5)
    zarr_cube = xr.DataArray(
        values,
        dims=("time", "y", "x"),
        coords={
            "time": pd.date_range("2023-01-01", periods=2),
            "y": 5000000 - 10 * (np.arange(4) + 0.5),
            "x": 300000 + 10 * (np.arange(5) + 0.5),
        },
        name="ndvi",
    )
    zarr_cube.to_dataset().rio.write_crs("EPSG:32631").to_zarr(tmp_path / "w.zarr", zarr_format=2)
    headers = read_headers(tmp_path / "w.zarr")
    with open_raster(headers[0].asset.href) as store:
        assert store.driver == "Zarr"
        np.testing.assert_array_equal(store.read(1), values[0])


# Through a live server: the user uploads the VRTs, then names them in process graphs.


@pytest.fixture
def config(tmp_path, db_url):
    # load_url's VRT is served on 127.0.0.1: allowed here, so the driver is what refuses it.
    return make_config(tmp_path, db_url, remote=LOOPBACK_ALLOWED)


@pytest.fixture
def headers(server, alice):
    return bearer_for(server.url, "alice")


def _upload(server, headers, path: str, body: bytes) -> None:
    response = requests.put(f"{server.url}/files/{path}", data=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


def _run(server, headers, node: dict, output: str = "GTiff") -> requests.Response:
    graph = {
        "load": node,
        "save": {
            "process_id": "save_result",
            "arguments": {"data": {"from_node": "load"}, "format": output},
            "result": True,
        },
    }
    return requests.post(
        f"{server.url}/result", json={"process": {"process_graph": graph}}, headers=headers, timeout=120
    )


def _refused(response: requests.Response, code: str, tmp_path) -> str:
    """The error's message, checked to name no server folder (neither the secret nor the workspace)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    error = response.json()
    assert error["code"] == code and error["message"] and error["id"], error
    assert str(tmp_path) not in error["message"], error["message"]
    return error["message"]


def _item(asset_names: list[str]) -> bytes:
    """A STAC item with one GeoTIFF asset per name, hrefs relative to the item (in the same folder)."""
    return json.dumps(point_item({f"a{n}": f"./{name}" for n, name in enumerate(asset_names)})).encode()


@pytest.mark.parametrize("name", EVIL_NAMES)
def test_load_uploaded_files_refuses_a_vrt(server, headers, secret, name, tmp_path):
    _upload(server, headers, f"in/{name}", _vrt(secret).encode())
    node = {"process_id": "load_uploaded_files", "arguments": {"paths": [f"in/{name}"], "format": "GTiff"}}
    _refused(_run(server, headers, node), "FormatUnsuitable", tmp_path)


@pytest.mark.parametrize("name", EVIL_NAMES)
def test_load_stac_of_an_item_naming_a_vrt_reads_nothing(app, alice, server, headers, secret, name, tmp_path):
    _upload(server, headers, f"stac/{name}", _vrt(secret).encode())
    _upload(server, headers, "stac/item.json", _item([name]))
    # Not refused for lying outside the allowed folders: the VRT is in the user's own files.
    folder = files_folder(app.extensions["openeo_gip"].config, alice.id)
    assert (folder / "stac" / name).read_text().startswith("<VRTDataset")
    node = {"process_id": "load_stac", "arguments": {"url": "stac/item.json"}}
    message = _refused(_run(server, headers, node), "ProcessParameterInvalid", tmp_path)
    assert f"'stac/{name}'" in message  # the user's own file, named as in /files


def test_load_stac_keeps_the_real_geotiff_and_skips_the_vrt(server, headers, secret, tmp_path):
    # The control: the same item layout with a real GeoTIFF next to the VRT loads, with its own values.
    real = tmp_path / "real.tif"
    synthetic.write_cog(real, np.full((8, 8), 7, "int16"), TRANSFORM, "EPSG:32631", None, "real")
    _upload(server, headers, "stac/real.tif", real.read_bytes())
    _upload(server, headers, "stac/evil.tif", _vrt(secret).encode())
    _upload(server, headers, "stac/item.json", _item(["real.tif", "evil.tif"]))
    response = _run(server, headers, {"process_id": "load_stac", "arguments": {"url": "stac/item.json"}})
    assert response.status_code == 200, response.text[:300]
    with rasterio.MemoryFile(response.content) as memory, memory.open() as tif:
        assert tif.count == 1 and tif.descriptions[0] == "a0"  # only the real asset became a band
        assert (tif.read(1) == 7).all()


def test_load_url_of_a_remote_vrt_reads_nothing(server, headers, secret, tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "evil.tif").write_text(_vrt(secret))
    with StaticServer(folder) as remote:
        node = {"process_id": "load_url", "arguments": {"url": f"{remote.url}/evil.tif", "format": "GTiff"}}
        response = _run(server, headers, node)
    _refused(response, "FormatUnsuitable", tmp_path)
