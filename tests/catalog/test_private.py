"""The per-user catalogues: where their index lives, what is rescanned, what is refused."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from rasterio.errors import RasterioIOError

from openeo_gip.catalog import private
from openeo_gip.catalog.catalog import Catalog
from openeo_gip.catalog.index import index_path, refresh_index
from openeo_gip.catalog.private import PrivateCatalogs, collections_folder
from openeo_gip.catalog.scan import Source, build_record
from openeo_gip.errors import ApiError
from openeo_gip.raster.reader import load_cube
from tests.conftest import make_config
from tests.support.private_data import DATES, write_fields


class _User:
    def __init__(self, user_id: str):
        self.id = user_id


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.fixture
def catalogs(config) -> PrivateCatalogs:
    return PrivateCatalogs(config)


def _scanned_sources(catalogs: PrivateCatalogs, user_id: str, monkeypatch) -> list[str]:
    """The sources the next refresh describes again (the others keep their stored record)."""
    built = []
    original = private.build_record
    monkeypatch.setattr(private, "build_record", lambda source: built.append(source.id) or original(source))
    catalogs.forget(user_id)
    catalogs.records(user_id)
    monkeypatch.setattr(private, "build_record", original)
    return built


def test_index_lives_outside_the_workspace_and_only_changes_are_rescanned(config, catalogs, monkeypatch):
    folder = collections_folder(config, "u1")
    write_fields(folder / "fields")
    write_fields(folder / "parcels", seed=3)
    assert _scanned_sources(catalogs, "u1", monkeypatch) == ["fields", "parcels"]
    stored = json.loads(index_path(catalogs.index_root("u1")).read_text())
    assert sorted(stored["collections"]) == ["fields", "parcels"]
    assert str(catalogs.index_root("u1")).startswith(str(config.paths.system_files))

    assert _scanned_sources(catalogs, "u1", monkeypatch) == []
    touched = folder / "parcels" / f"field_{DATES[0]}.tif"
    os.utime(touched, ns=(1, 1))
    assert _scanned_sources(catalogs, "u1", monkeypatch) == ["parcels"]
    records = catalogs.records("u1")
    assert {record.owner for record in records.values()} == {"u1"}


def test_users_without_a_collections_folder_have_no_index(config, catalogs):
    assert catalogs.records("nobody") == {}
    assert not catalogs.index_root("nobody").exists()


def test_stac_documents_and_links_in_a_workspace_are_not_read(config, catalogs, tmp_path):
    folder = collections_folder(config, "u1")
    write_fields(folder / "stac")
    (folder / "stac" / "collection.json").write_text(
        json.dumps({"stac_version": "1.0.0", "type": "Collection"})
    )
    write_fields(tmp_path / "elsewhere")
    (folder / "linked").mkdir()
    (folder / "linked" / "x_2024-01-05.tif").symlink_to(tmp_path / "elsewhere" / f"field_{DATES[0]}.tif")
    write_fields(folder / "fine")
    assert sorted(catalogs.records("u1")) == ["fine"]


def test_catalog_merges_shared_and_private_collections(config, catalogs, tmp_path):
    shared = tmp_path / "shared"
    write_fields(shared / "data" / "fields")
    refresh_index(shared / "data", shared / "system")
    catalog = Catalog(index_path(shared / "system"), private=catalogs)
    write_fields(collections_folder(config, "u1") / "fields")  # same id as the shared one: hidden
    write_fields(collections_folder(config, "u1") / "mine")
    alice, bob = _User("u1"), _User("u2")
    assert [r.id for r in catalog.list(alice)] == ["fields", "mine"]
    assert catalog.get("fields", alice).owner is None
    assert catalog.get("mine", alice).owner == "u1"
    assert [r.id for r in catalog.list(bob)] == ["fields"]
    assert [r.id for r in catalog.list(None)] == ["fields"]
    for user in (bob, None):
        with pytest.raises(ApiError) as error:
            catalog.get("mine", user)
        assert error.value.code == "CollectionNotFound"


def test_a_tif_swapped_for_a_vrt_after_the_scan_is_not_read(tmp_path):
    """The reader opens ``.tif`` files as GeoTIFF only, so a file replaced after its scan by a VRT that
    points at someone else's raster gives an error, never the other raster's values."""
    folder = tmp_path / "mine"
    expected = write_fields(folder)
    record = build_record(Source("mine", "folder", folder))
    first = folder / f"field_{DATES[0]}.tif"
    np.testing.assert_allclose(
        load_cube(record).isel(t=0).squeeze().values, expected[DATES[0]], rtol=1e-6, equal_nan=True
    )
    secret = tmp_path / "secret.tif"
    secret.write_bytes((folder / f"field_{DATES[1]}.tif").read_bytes())
    first.write_text(
        '<VRTDataset rasterXSize="16" rasterYSize="16"><SRS>EPSG:32631</SRS>'
        "<GeoTransform>500000, 10, 0, 5800000, 0, -10</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><SimpleSource>'
        f"<SourceFilename>{secret}</SourceFilename><SourceBand>1</SourceBand>"
        "</SimpleSource></VRTRasterBand></VRTDataset>"
    )
    with pytest.raises(RasterioIOError):
        load_cube(record).isel(t=0).compute()
