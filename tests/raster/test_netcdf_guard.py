"""netCDF files are read only when all their data is inside them: a netCDF-4 (HDF5) file may keep a
variable's bytes in any other file, which plain GDAL then reads. Checked through the catalogue functions and
through ``load_uploaded_files`` and private collections on a live server."""

from __future__ import annotations

import os

import netCDF4
import numpy as np
import pytest
import rasterio
import requests
from rasterio.errors import RasterioIOError

from openeo_gip.demodata import synthetic
from openeo_gip.raster.gdal_open import netcdf_file, open_raster
from openeo_gip.raster.headers import read_headers
from openeo_gip.raster.netcdf_guard import open_self_contained
from tests.conftest import add_user, bearer_for
from tests.support.netcdf_tricks import external_link_file, external_storage_cube, virtual_dataset_file

SIZE, DAYS = 6, 2


@pytest.fixture
def secret(tmp_path):
    """A file outside every workspace: int16 numbers no synthetic cube holds."""
    path = tmp_path / "elsewhere" / "secret.bin"
    path.parent.mkdir()
    values = (np.arange(DAYS * SIZE * SIZE) * 7 + 1000).astype("<i2")
    values.tofile(path)
    return values.reshape(DAYS, SIZE, SIZE)


@pytest.fixture
def evil(tmp_path, secret):
    path = tmp_path / "evil.nc"
    return path, external_storage_cube(path, tmp_path / "elsewhere" / "secret.bin", SIZE, DAYS)


def test_plain_gdal_reads_another_file_through_external_storage(evil, secret):
    path, name = evil
    with rasterio.open(f'NETCDF:"{path}":{name}', driver="netCDF") as unguarded:
        assert unguarded.crs is not None
        np.testing.assert_array_equal(unguarded.read(1)[::-1], secret[0])  # GDAL: north up


def test_open_raster_and_read_headers_refuse_it(evil):
    path, name = evil
    with pytest.raises(RasterioIOError, match="keeps its data in other files"):
        open_raster(f'NETCDF:"{path}":{name}')
    with pytest.raises(OSError, match="keeps its data in other files"):
        read_headers(path)


@pytest.mark.parametrize(
    ("write", "problem"),
    [(external_link_file, "links to another file"), (virtual_dataset_file, "keeps its data in other files")],
)
def test_links_and_virtual_datasets_are_refused(tmp_path, write, problem):
    write(tmp_path / "evil.nc", tmp_path / "other.h5")
    with pytest.raises(RasterioIOError, match=problem):
        open_self_contained(str(tmp_path / "evil.nc"), _never_opened)


def test_a_file_that_is_no_netcdf_is_refused(tmp_path):
    (tmp_path / "fake.nc").write_text("<VRTDataset/>")
    with pytest.raises(RasterioIOError, match="not a netCDF file"):
        open_self_contained(str(tmp_path / "fake.nc"), _never_opened)


def test_self_contained_netcdf4_and_classic_files_are_read(tmp_path):
    cube = synthetic.write_netcdf_cube(tmp_path / "t2m.nc", size=SIZE, days=DAYS)
    classic = tmp_path / "classic.nc"
    with netCDF4.Dataset(classic, "w", format="NETCDF3_CLASSIC") as nc:
        nc.createDimension("y", 3)
        nc.createDimension("x", 4)
        nc.createVariable("v", "f4", ("y", "x"))[:] = np.arange(12).reshape(3, 4)
    with open_raster(f'NETCDF:"{cube.path}":{cube.variable}') as src:
        np.testing.assert_array_equal(src.read(2)[::-1], cube.packed[1])
    with open_raster(f'NETCDF:"{classic}":v') as src:
        np.testing.assert_array_equal(src.read(1)[::-1], np.arange(12).reshape(3, 4))
    assert len(read_headers(cube.path)) == DAYS


def test_a_file_replaced_while_it_is_opened_is_refused(tmp_path, evil):
    """An upload renaming a crafted file over a checked one just before the library opens the name: the
    opened file is closed again, and the next open checks the new file."""
    evil_path, name = evil
    path = tmp_path / "t2m.nc"
    synthetic.write_netcdf_cube(path, size=SIZE, days=DAYS)
    opened = []

    def swap_then_open(checked: str):
        os.replace(evil_path, checked)
        opened.append(rasterio.open(f'NETCDF:"{checked}":{name}', driver="netCDF"))
        return opened[-1]

    with pytest.raises(RasterioIOError, match="replaced while it was being opened"):
        open_self_contained(str(path), swap_then_open)
    assert opened[0].closed
    with pytest.raises(RasterioIOError, match="other files"):
        open_raster(f'NETCDF:"{path}":{name}')


def _never_opened(path: str):
    raise AssertionError(f"{path} was opened")


@pytest.mark.parametrize(
    ("href", "problem"),
    [
        ("http://127.0.0.1:9/x.nc", "this server's folders only"),
        ('NETCDF:"https://example.org/x.nc":t', "this server's folders only"),
        ("NETCDF:/data/x.nc:t", "not a netCDF variable name"),
    ],
)
def test_remote_and_malformed_netcdf_names_are_refused(href, problem):
    with pytest.raises(RasterioIOError, match=problem):
        open_raster(href)
    assert netcdf_file('NETCDF:"/data/a b.nc":t2m') == "/data/a b.nc"


# Through a live server: the user uploads the crafted file and uses it.


def _upload(server, headers, path: str, body: bytes) -> None:
    response = requests.put(f"{server.url}/files/{path}", data=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


def _result(server, headers, load: dict) -> requests.Response:
    graph = {
        "load": load,
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "load"}, "format": "JSON"}},
    }
    graph["save"]["result"] = True
    body = {"process": {"process_graph": graph}}
    return requests.post(f"{server.url}/result", json=body, headers=headers, timeout=120)


def test_load_uploaded_files_refuses_it(server, alice, evil):
    headers = bearer_for(server.url, "alice")
    _upload(server, headers, "in/evil.nc", evil[0].read_bytes())
    load = {"process_id": "load_uploaded_files", "arguments": {"paths": ["in/evil.nc"], "format": "netCDF"}}
    response = _result(server, headers, load)
    assert response.status_code == 400 and response.json()["code"] == "FormatUnsuitable", response.text
    assert "(in/evil.nc: variable temperature keeps its data in other files" in response.json()["message"]


def test_a_private_collection_of_it_holds_nothing_and_its_owner_learns_why(
    app, server, alice, evil, tmp_path
):
    headers = bearer_for(server.url, "alice")
    _upload(server, headers, "collections/Evil/evil.nc", evil[0].read_bytes())
    listed = requests.get(f"{server.url}/collections", headers=headers, timeout=30).json()["collections"]
    assert "Evil" not in [collection["id"] for collection in listed]
    load = {
        "process_id": "load_collection",
        "arguments": {"id": "Evil", "spatial_extent": None, "temporal_extent": None},
    }
    response = _result(server, headers, load)
    assert response.status_code == 404 and response.json()["code"] == "CollectionNotFound", response.text
    message = response.json()["message"]
    assert "collections/Evil/evil.nc: variable temperature keeps its data in other files" in message
    assert str(tmp_path) not in message
    # Anybody else only hears that there is no such collection.
    add_user(app, "bob")
    response = requests.get(
        f"{server.url}/collections/Evil", headers=bearer_for(server.url, "bob"), timeout=30
    )
    assert response.status_code == 404 and response.json()["message"] == "There is no collection 'Evil'."
