"""Satellite products as collections: Sentinel-2 ``.SAFE`` and Landsat Collection 2 folders written by
``demodata.products`` (real layout, metadata and band files) are scanned and read; the values are compared
with the digital numbers the generator wrote and the scale and offset it put in the metadata."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pytest
from rasterio.errors import RasterioIOError

from openeo_gip.catalog.metadata import collection_document
from openeo_gip.catalog.private import PrivateCatalogs, collections_folder
from openeo_gip.catalog.scan import find_sources
from openeo_gip.demodata import products
from openeo_gip.raster.gdal_open import read_driver
from openeo_gip.raster.reader import load_cube
from tests.conftest import make_config
from tests.support.catalogs import scan

JUNE_1 = dt.datetime(2022, 6, 1, 10, 16, 11)
JUNE_11 = dt.datetime(2022, 6, 11, 10, 6, 39)


@pytest.fixture
def s2_l2a(data_root) -> list[products.WrittenProduct]:
    folder = data_root / "S2_L2A"
    return [
        products.write_sentinel2_product(folder, when=JUNE_1, seed=1),
        products.write_sentinel2_product(folder, when=JUNE_11, seed=2, spacecraft="S2B"),
    ]


def _catalog(data_root, tmp_path):
    return scan(data_root, tmp_path / "system")


def _band(cube, band: str, index: int = 0) -> np.ndarray:
    return cube.sel(bands=band).isel(t=index).values.astype("float64")


def test_sentinel2_l2a_folder_is_a_collection_of_its_products(data_root, tmp_path, s2_l2a):
    record = _catalog(data_root, tmp_path).get("S2_L2A")
    assert record.kind == "products"
    assert record.band_names == [band for band in products.S2_RESOLUTIONS if band != "B10"] + ["SCL"]
    assert [item.datetime for item in record.items] == ["2022-06-01T10:16:11Z", "2022-06-11T10:06:39Z"]
    assert [item.properties["eo:cloud_cover"] for item in record.items] == [p.cloud_cover for p in s2_l2a]
    assert [item.properties["platform"] for item in record.items] == ["sentinel-2a", "sentinel-2b"]
    bands = {band.name: band for band in record.bands}
    assert (bands["B04"].common_name, bands["B04"].center_wavelength) == ("red", 0.665)
    assert (bands["B8A"].common_name, bands["B8A"].resolution) == ("nir08", 20.0)
    assert [bands[name].resolution for name in ("B02", "B05", "B01", "SCL")] == [10.0, 20.0, 60.0, 20.0]
    # The collection grid is the finest (10 m) over the products' extent.
    assert record.grid.resolution == (10.0, 10.0)
    assert record.grid.bounds == (
        products.S2_ORIGIN[0],
        products.S2_ORIGIN[1] - 600,
        products.S2_ORIGIN[0] + 600,
        products.S2_ORIGIN[1],
    )
    doc = collection_document(record, "http://test")
    assert doc["extent"]["temporal"]["interval"] == [["2022-06-01T10:16:11Z", "2022-06-11T10:06:39Z"]]
    resolutions = {
        entry["name"]: entry.get("spatial_resolution") for entry in doc["summaries"]["raster:bands"]
    }
    assert resolutions["B11"] == 20.0 and resolutions["B09"] == 60.0


def test_sentinel2_l2a_values_have_the_metadata_scale_and_offset(data_root, tmp_path, s2_l2a):
    record = _catalog(data_root, tmp_path).get("S2_L2A")
    cube = load_cube(record, bands=["B04", "B05", "B01", "SCL"]).compute()
    for index, product in enumerate(s2_l2a):
        red = _band(cube, "B04", index)
        # Baseline 04.00: (DN - 1000) / 10000, computed here from the DNs written.
        expected = (product.dn["B04"] - 1000.0) / 10000.0
        expected[product.dn["B04"] == 0] = np.nan
        np.testing.assert_allclose(red, expected, atol=1e-6)
        assert np.isnan(red).any() and not np.isnan(red).all()
        # 20 and 60 m bands on the 10 m grid: each of their pixels covers 2 x 2 and 6 x 6 pixels.
        np.testing.assert_allclose(_band(cube, "B05", index)[::2, ::2], product.values("B05"), atol=1e-6)
        np.testing.assert_allclose(_band(cube, "B01", index)[::6, ::6], product.values("B01"), atol=1e-6)
        scl = _band(cube, "SCL", index)[1::2, 1::2]
        np.testing.assert_array_equal(scl, np.where(product.dn["SCL"] == 0, np.nan, product.dn["SCL"]))
        assert {4, 5, 9} <= set(np.unique(scl[~np.isnan(scl)]).astype(int))


def test_sentinel2_before_baseline_4_has_no_offset(data_root, tmp_path):
    product = products.write_sentinel2_product(data_root / "OLD", baseline="03.01")
    record = _catalog(data_root, tmp_path).get("OLD")
    red = _band(load_cube(record, bands=["B04"]).compute(), "B04")
    expected = np.where(product.dn["B04"] == 0, np.nan, product.dn["B04"] / 10000.0)
    np.testing.assert_allclose(red, expected, atol=1e-6)
    assert record.items[0].properties["s2:processing_baseline"] == "03.01"


def test_sentinel2_l1c_has_all_bands_and_its_cloud_mask(data_root, tmp_path):
    product = products.write_sentinel2_product(data_root / "S2_L1C", level="L1C", seed=4)
    record = _catalog(data_root, tmp_path).get("S2_L1C")
    assert "B10" in record.band_names and "SCL" not in record.band_names
    assert record.band_names[-3:] == ["OPAQUE_CLOUDS", "CIRRUS_CLOUDS", "SNOW_ICE"]
    cube = load_cube(record, bands=["B10", "OPAQUE_CLOUDS"]).compute()
    np.testing.assert_allclose(_band(cube, "B10")[::6, ::6], product.values("B10"), atol=1e-6)
    clouds = _band(cube, "OPAQUE_CLOUDS")[::6, ::6]
    # A mask has no nodata: 0 is "no cloud", not a missing value.
    np.testing.assert_array_equal(clouds, product.dn["OPAQUE_CLOUDS"])
    assert clouds.max() == 1 and clouds.min() == 0


def test_landsat_level2_surface_reflectance_temperature_and_qa(data_root, tmp_path):
    product = products.write_landsat_product(data_root / "LANDSAT_L2", mission=9)
    record = _catalog(data_root, tmp_path).get("LANDSAT_L2")
    assert record.kind == "products"
    assert record.band_names == [f"SR_B{i}" for i in range(1, 8)] + ["ST_B10", "QA_PIXEL"]
    assert record.items[0].datetime == "2022-06-03T10:05:12Z"
    assert record.items[0].properties["platform"] == "landsat-9"
    assert record.items[0].properties["eo:cloud_cover"] == product.cloud_cover
    # Bands by their common names, as load_collection accepts them.
    cube = load_cube(record, bands=["red", "nir08", "ST_B10", "QA_PIXEL"]).compute()
    assert list(cube.bands.values) == ["SR_B4", "SR_B5", "ST_B10", "QA_PIXEL"]
    red = _band(cube, "SR_B4")
    expected = product.dn["SR_B4"] * 0.0000275 - 0.2
    expected[product.dn["SR_B4"] == 0] = np.nan
    np.testing.assert_allclose(red, expected, rtol=1e-6, atol=1e-6)
    kelvin = _band(cube, "ST_B10")
    assert 270 < np.nanmin(kelvin) and np.nanmax(kelvin) < 310
    qa = _band(cube, "QA_PIXEL")
    np.testing.assert_array_equal(np.isnan(qa), product.dn["QA_PIXEL"] == products.QA_FILL)
    assert set(np.unique(qa[~np.isnan(qa)]).astype(int)) == {products.QA_CLEAR, products.QA_CLOUD}


def test_landsat_level1_from_the_text_metadata_with_sun_elevation(data_root, tmp_path):
    product = products.write_landsat_product(data_root / "LANDSAT_L1", level="L1")
    (product.folder / f"{product.folder.name}_MTL.xml").unlink()  # only the MTL.txt is left
    record = _catalog(data_root, tmp_path).get("LANDSAT_L1")
    assert record.band_names == [f"B{i}" for i in range(1, 12)] + ["QA_PIXEL"]
    assert record.grid.resolution == (15.0, 15.0)  # the panchromatic band's
    cube = load_cube(record, bands=["B4", "B8"]).compute()
    sine = np.sin(np.radians(62.5))
    expected = (product.dn["B4"] * 2e-5 - 0.1) / sine
    expected[product.dn["B4"] == 0] = np.nan
    np.testing.assert_allclose(_band(cube, "B4")[::2, ::2], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_band(cube, "B8"), product.values("B8"), rtol=1e-5, atol=1e-6)


def test_products_outside_the_time_range_are_not_opened(data_root, tmp_path, s2_l2a):
    record = _catalog(data_root, tmp_path).get("S2_L2A")
    shutil.rmtree(s2_l2a[1].folder / "GRANULE")  # the second product's band files are gone
    with pytest.raises(RasterioIOError):
        load_cube(record, bands=["B04"]).compute()
    cube = load_cube(record, temporal_extent=("2022-05-01", "2022-06-05"), bands=["B04"]).compute()
    assert cube.sizes["t"] == 1
    np.testing.assert_allclose(_band(cube, "B04"), s2_l2a[0].values("B04"), atol=1e-6)


def test_spatial_extent_reads_a_window(data_root, tmp_path, s2_l2a):
    record = _catalog(data_root, tmp_path).get("S2_L2A")
    west, north = products.S2_ORIGIN
    box = {"west": west + 100, "east": west + 300, "south": north - 200, "north": north - 50, "crs": 32632}
    cube = load_cube(record, spatial_extent=box, bands=["B08"]).compute()
    assert (cube.sizes["y"], cube.sizes["x"]) == (15, 20)
    np.testing.assert_allclose(_band(cube, "B08"), s2_l2a[0].values("B08")[5:20, 10:30], atol=1e-6)


def test_neighbouring_tiles_of_one_overpass_are_one_mosaicked_item(data_root, tmp_path):
    west, north = products.S2_ORIGIN
    left = products.write_sentinel2_product(data_root / "TILES", when=JUNE_1, seed=1)
    right = products.write_sentinel2_product(
        data_root / "TILES", when=JUNE_1, seed=2, tile="32TQS", origin=(west + 600, north)
    )
    record = _catalog(data_root, tmp_path).get("TILES")
    assert [item.datetime for item in record.items] == ["2022-06-01T10:16:11Z"]
    assert (record.grid.width, record.grid.height) == (120, 60)
    red = _band(load_cube(record, bands=["B04"]).compute(), "B04")
    np.testing.assert_allclose(red, np.hstack([left.values("B04"), right.values("B04")]), atol=1e-6)


def test_a_product_of_another_kind_or_unreadable_is_left_out(data_root, tmp_path, s2_l2a):
    folder = data_root / "S2_L2A"
    products.write_sentinel2_product(folder, level="L1C", when=dt.datetime(2022, 6, 21, 10, 16, 11))
    broken = products.write_sentinel2_product(folder, when=dt.datetime(2022, 7, 1, 10, 16, 11))
    (broken.folder / "MTD_MSIL2A.xml").write_text("<not closed", encoding="utf-8")
    record = _catalog(data_root, tmp_path).get("S2_L2A")
    assert len(record.items) == 2
    assert any("Sentinel-2 L1C product among Sentinel-2 L2A products" in p for p in record.problems)
    assert any(broken.folder.name in p and "cannot be read" in p for p in record.problems)


def test_a_single_product_at_the_top_level_is_a_collection(data_root, tmp_path):
    product = products.write_landsat_product(data_root)
    sources = find_sources(data_root)
    assert [(source.id, source.kind) for source in sources] == [(product.folder.name, "products")]


def test_users_workspaces_do_not_read_products(tmp_path):
    # Product folders bring JPEG 2000 and XML, read only from the shared data: in a user's collections a
    # .SAFE folder (no GeoTIFF) is nothing, and a Landsat folder is a plain folder of GeoTIFFs.
    config = make_config(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    folder = collections_folder(config, "u1")
    products.write_sentinel2_product(folder / "MY_S2")
    products.write_landsat_product(folder / "MY_LANDSAT")
    records = PrivateCatalogs(config).records("u1")
    assert list(records) == ["MY_LANDSAT"]
    assert records["MY_LANDSAT"].kind == "folder"


def test_jpeg2000_is_read_only_from_local_files():
    assert read_driver("/data/S2/x.SAFE/GRANULE/g/IMG_DATA/R10m/T32TPS_B04_10m.jp2") == "JP2OpenJPEG"
    assert read_driver("https://example.com/T32TPS_B04_10m.jp2") == "GTiff"


def test_demo_products_with_their_sidecars(data_root, tmp_path):
    written = products.write_products_demo(data_root)
    with open(data_root / products.LANDSAT_PRODUCTS_ID / "collection.toml", "a", encoding="utf-8") as sidecar:
        sidecar.write('[bands.QA_PIXEL]\ndescription = "Bit flags"\n')
    catalog = _catalog(data_root, tmp_path)
    s2, landsat = catalog.get(products.S2_PRODUCTS_ID), catalog.get(products.LANDSAT_PRODUCTS_ID)
    assert len(s2.items) == 3 and len(landsat.items) == 2
    assert s2.title == "Sentinel-2 L2A near Bolzano (synthetic products)"  # the sidecar's, not the default
    assert landsat.license == "CC0-1.0"
    assert [item.properties["platform"] for item in landsat.items] == ["landsat-8", "landsat-9"]
    assert {band.name: band.description for band in landsat.bands}["QA_PIXEL"] == "Bit flags"
    assert s2.grid.width == 120 and len(written[products.S2_PRODUCTS_ID]) == 3
