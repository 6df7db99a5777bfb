"""Private collections with the real openEO client: folders and bundles uploaded under ``collections/``
become collections of their owner only, loaded with values equal to the uploaded rasters."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import openeo
import pytest
import requests
import xarray as xr
from openeo.rest import OpenEoApiError

from openeo_gip.catalog.scan import ScanError, Source, build_record
from openeo_gip.demodata import synthetic
from openeo_gip.workspace import files_folder, user_folder
from tests.conftest import PASSWORD, add_user, bearer_for, make_config
from tests.support.openapi import assert_valid_response
from tests.support.private_data import DATES, folder_entries, tar_bytes, write_fields, zip_bytes

DASK_SETTINGS = {"n_workers": 1, "threads_per_worker": 2, "memory_limit": "6GiB"}
JOB_SETTINGS = {"poll_seconds": 0.2, "runner_threads": 1}


@pytest.fixture
def config(tmp_path, db_url):
    synthetic.write_dem(tmp_path / "data" / "DEM.tif", size=16)  # one shared collection
    return make_config(tmp_path, db_url, dask=DASK_SETTINGS, jobs=JOB_SETTINGS)


@pytest.fixture
def bob(app):
    return add_user(app, "bob")


def _connect(server, name: str) -> openeo.Connection:
    return openeo.connect(server.url, auto_validate=False).authenticate_basic(name, PASSWORD)


@pytest.fixture
def alice_client(server, alice) -> openeo.Connection:
    return _connect(server, "alice")


@pytest.fixture
def bob_client(server, bob) -> openeo.Connection:
    return _connect(server, "bob")


def _read_netcdf(content: bytes) -> xr.DataArray:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.nc"
        path.write_bytes(content)
        with xr.open_dataset(path, engine="netcdf4") as dataset:
            return dataset["NDVI"].load()


def _assert_fields(cube: xr.DataArray, expected: dict[str, np.ndarray]) -> None:
    assert cube.sizes["t"] == len(DATES)
    for index, date in enumerate(DATES):
        values = cube.isel(t=index).values.astype("float64")
        np.testing.assert_allclose(values, expected[date], rtol=1e-6, equal_nan=True)
    assert np.isnan(cube.values).sum() == sum(np.isnan(a).sum() for a in expected.values())


def _upload_folder(connection: openeo.Connection, folder: Path, target: str) -> None:
    for path in sorted(folder.iterdir()):
        connection.upload_file(path, target=f"{target}/{path.name}")


def test_uploaded_folder_is_a_collection_of_its_owner_only(server, alice_client, bob_client, tmp_path):
    expected = write_fields(tmp_path / "local" / "fields")
    _upload_folder(alice_client, tmp_path / "local" / "fields", "collections/fields")
    assert {f.path.as_posix() for f in alice_client.list_files()} == {
        "collections/fields/collection.toml",
        *(f"collections/fields/field_{date}.tif" for date in DATES),
    }

    assert alice_client.list_collection_ids() == ["DEM", "fields"]
    described = alice_client.describe_collection("fields")
    assert described["openeo-gip:private"] is True and described["title"] == "My fields"
    assert "openeo-gip:private" not in alice_client.describe_collection("DEM")
    cube = alice_client.load_collection("fields", spatial_extent=None, temporal_extent=None)
    _assert_fields(_read_netcdf(cube.download(format="netCDF")), expected)

    # Bob, and anonymous visitors, see none of it.
    assert bob_client.list_collection_ids() == ["DEM"]
    assert bob_client.list_files() == []
    with pytest.raises(OpenEoApiError) as error:
        bob_client.describe_collection("fields")
    assert error.value.code == "CollectionNotFound" and error.value.http_status_code == 404
    with pytest.raises(OpenEoApiError) as error:
        bob_client.load_collection("fields", spatial_extent=None, temporal_extent=None).download(
            format="netCDF"
        )
    assert error.value.code == "CollectionNotFound"
    anonymous = requests.get(f"{server.url}/collections", timeout=30).json()
    assert [c["id"] for c in anonymous["collections"]] == ["DEM"]
    assert requests.get(f"{server.url}/collections/fields", timeout=30).status_code == 404


def test_listing_with_a_token_is_valid_and_paged(server, alice_client, tmp_path):
    write_fields(tmp_path / "local" / "fields")
    _upload_folder(alice_client, tmp_path / "local" / "fields", "collections/fields")
    headers = bearer_for(server.url, "alice")
    full = requests.get(f"{server.url}/collections", headers=headers, timeout=30)
    assert_valid_response(server.url, full)
    one = requests.get(f"{server.url}/collections/fields", headers=headers, timeout=30)
    assert_valid_response(server.url, one)
    first = requests.get(f"{server.url}/collections?limit=1", headers=headers, timeout=30).json()
    following = {link["rel"]: link["href"] for link in first["links"]}["next"]
    second = requests.get(following, headers=headers, timeout=30).json()
    assert [c["id"] for c in first["collections"] + second["collections"]] == ["DEM", "fields"]


def test_deleting_the_files_removes_the_collection(alice_client, tmp_path):
    write_fields(tmp_path / "local" / "fields")
    _upload_folder(alice_client, tmp_path / "local" / "fields", "collections/fields")
    assert "fields" in alice_client.list_collection_ids()
    for file in alice_client.list_files():
        file.delete()
    assert alice_client.list_collection_ids() == ["DEM"]


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_uploaded_bundle_becomes_a_collection(config, alice, alice_client, bob_client, tmp_path, kind):
    expected = write_fields(tmp_path / "local" / "fields")
    # The zip holds the files at its top, the tar.gz inside one folder: both are accepted.
    if kind == "zip":
        payload = zip_bytes(folder_entries(tmp_path / "local" / "fields"))
    else:
        payload = tar_bytes(folder_entries(tmp_path / "local" / "fields", prefix="packed/"))
    bundle = tmp_path / f"fields.{kind}"
    bundle.write_bytes(payload)

    stored = alice_client.upload_file(bundle, target=f"collections/parcels.{kind}")
    assert stored.path.as_posix() == "collections/parcels"
    assert sorted(f.path.as_posix() for f in alice_client.list_files()) == [
        "collections/parcels/collection.toml",
        *(f"collections/parcels/field_{date}.tif" for date in DATES),
    ]
    leftovers = [name for _, _, names in os.walk(user_folder(config, alice.id)) for name in names]
    assert sorted(leftovers) == ["collection.toml", *(f"field_{date}.tif" for date in DATES)]
    downloaded = alice_client.list_files()[1].download(tmp_path / "back.tif")
    assert downloaded.read_bytes() == (tmp_path / "local" / "fields" / f"field_{DATES[0]}.tif").read_bytes()

    assert "parcels" in alice_client.list_collection_ids()
    cube = alice_client.load_collection("parcels", spatial_extent=None, temporal_extent=None)
    _assert_fields(_read_netcdf(cube.download(format="netCDF")), expected)
    assert "parcels" not in bob_client.list_collection_ids()


def test_a_new_bundle_replaces_the_collection(alice_client, tmp_path):
    write_fields(tmp_path / "one", seed=1)
    expected = write_fields(tmp_path / "two", seed=2)
    (tmp_path / "one" / "extra.txt").write_text("old")
    for name in ("one", "two"):
        bundle = tmp_path / f"{name}.zip"
        bundle.write_bytes(zip_bytes(folder_entries(tmp_path / name)))
        alice_client.upload_file(bundle, target="collections/fields.zip")
    assert "collections/fields/extra.txt" not in {f.path.as_posix() for f in alice_client.list_files()}
    cube = alice_client.load_collection("fields", spatial_extent=None, temporal_extent=None)
    _assert_fields(_read_netcdf(cube.download(format="netCDF")), expected)


def test_batch_jobs_run_with_the_owners_collections(alice_client, bob_client, tmp_path):
    expected = write_fields(tmp_path / "local" / "fields")
    _upload_folder(alice_client, tmp_path / "local" / "fields", "collections/fields")
    cube = alice_client.load_collection("fields", spatial_extent=None, temporal_extent=None)
    job = cube.save_result(format="netCDF").create_job(title="my fields")
    job.start_and_wait(max_poll_interval=0.5)
    (path,) = [p for p in job.get_results().download_files(tmp_path / "out") if p.suffix == ".nc"]
    _assert_fields(_read_netcdf(path.read_bytes()), expected)

    with pytest.raises(OpenEoApiError) as error:
        bob_client.load_collection("fields", spatial_extent=None, temporal_extent=None).save_result(
            format="netCDF"
        ).create_job()
    assert error.value.code == "CollectionNotFound"


def test_a_private_collection_never_hides_a_shared_one(alice_client, tmp_path):
    write_fields(tmp_path / "local" / "DEM")
    _upload_folder(alice_client, tmp_path / "local" / "DEM", "collections/DEM")
    assert alice_client.list_collection_ids() == ["DEM"]
    assert "openeo-gip:private" not in alice_client.describe_collection("DEM")


def test_a_raster_that_is_not_what_its_name_says_is_not_read(config, alice, alice_client, bob, tmp_path):
    # A GDAL VRT named .tif would read any file of the server, such as another user's uploads.
    other = files_folder(config, bob.id) / "secret.tif"
    write_fields(tmp_path / "bob")
    other.parent.mkdir(parents=True)
    other.write_bytes((tmp_path / "bob" / f"field_{DATES[0]}.tif").read_bytes())
    vrt = tmp_path / "field_2024-01-05.tif"
    vrt.write_text(
        '<VRTDataset rasterXSize="16" rasterYSize="16"><SRS>EPSG:32631</SRS>'
        "<GeoTransform>500000, 10, 0, 5800000, 0, -10</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1">'
        f"<SimpleSource><SourceFilename>{other}</SourceFilename><SourceBand>1</SourceBand></SimpleSource>"
        "</VRTRasterBand></VRTDataset>"
    )
    alice_client.upload_file(vrt, target="collections/sneaky/field_2024-01-05.tif")
    assert alice_client.list_collection_ids() == ["DEM"]
    # Even the shared data's scanner, which trusts its files, opens a .tif only as a GeoTIFF now.
    folder = files_folder(config, alice.id) / "collections" / "sneaky"
    with pytest.raises(ScanError, match="not recognized as being in a supported file format"):
        build_record(Source("sneaky", "folder", folder))
