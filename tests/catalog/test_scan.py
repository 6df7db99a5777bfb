"""Scanning: collections from each kind of source, their metadata, sidecars, broken files, rescans."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pystac
import pytest
import rasterio
from affine import Affine
from rasterio.warp import transform_bounds

from openeo_gip.catalog.index import index_path, refresh_index
from openeo_gip.catalog.metadata import collection_document, queryables_document
from openeo_gip.catalog.scan import build_record
from openeo_gip.demodata import synthetic
from openeo_gip.errors import ApiError
from openeo_gip.raster.reader import load_cube
from tests.support.catalogs import scan

BASE = "http://test"


def _iso(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}T00:00:00Z"


def test_folder_of_cogs_metadata_matches_what_was_written(data_root, tmp_path, s2):
    record = scan(data_root, tmp_path / "system").get("SENTINEL2_L2A_DEMO")
    assert record.kind == "folder"
    assert record.band_names == ["B02", "B03", "B04", "B08", "SCL"]
    assert [item.datetime for item in record.items] == [_iso(day) for day in s2.dates]
    doc = collection_document(record, BASE)
    dims = doc["cube:dimensions"]
    west, south, east, north = s2.bounds
    assert dims["x"] == {
        "type": "spatial",
        "axis": "x",
        "extent": [west, east],
        "step": 10.0,
        "reference_system": 32631,
    }
    assert dims["y"]["extent"] == [south, north]
    assert dims["t"]["extent"] == [_iso(s2.dates[0]), _iso(s2.dates[-1])]
    assert dims["t"]["step"] == f"P{(s2.dates[1] - s2.dates[0]).days}D"
    assert dims["bands"]["values"] == s2.bands
    expected_bbox = transform_bounds("EPSG:32631", "EPSG:4326", *s2.bounds, densify_pts=21)
    assert np.allclose(doc["extent"]["spatial"]["bbox"][0], expected_bbox, atol=1e-6)
    assert doc["extent"]["temporal"]["interval"] == [[_iso(s2.dates[0]), _iso(s2.dates[-1])]]
    eo_bands = {band["name"]: band for band in doc["summaries"]["eo:bands"]}
    assert eo_bands["B04"]["common_name"] == "red" and eo_bands["B08"]["center_wavelength"] == 0.842
    assert doc["summaries"]["proj:epsg"] == [32631]
    # From the sidecar the generator wrote.
    assert doc["license"] == "CC0-1.0" and doc["title"].startswith("Sentinel-2 L2A")
    assert eo_bands["SCL"]["description"] == "Scene classification"


def test_cloud_cover_tags_become_queryable_properties(data_root, tmp_path, s2):
    record = scan(data_root, tmp_path / "system").get("SENTINEL2_L2A_DEMO")
    covers = [s2.cloud_cover(i) for i in range(len(s2.dates))]
    assert [item.properties["eo:cloud_cover"] for item in record.items] == covers
    schema = queryables_document(record, BASE)["properties"]["eo:cloud_cover"]
    assert schema["type"] == "number" and schema["minimum"] == 0 and schema["maximum"] == 100
    summaries = collection_document(record, BASE)["summaries"]
    assert "eo:cloud_cover" not in summaries  # ranges cannot validate against the API document
    assert summaries["platform"] == ["sentinel-2-synthetic"]


def test_single_files_are_collections_dem_and_netcdf(data_root, tmp_path):
    dem = synthetic.write_dem(data_root / "DEM_DEMO.tif", size=40)
    cube = synthetic.write_netcdf_cube(data_root / "TEMPERATURE.nc", size=12, days=4)
    catalog = scan(data_root, tmp_path / "system")
    assert [record.id for record in catalog.list()] == ["DEM_DEMO", "TEMPERATURE"]
    dem_record = catalog.get("DEM_DEMO")
    assert dem_record.kind == "file" and dem_record.band_names == ["elevation"]
    assert not dem_record.has_time
    dims = collection_document(dem_record, BASE)["cube:dimensions"]
    assert "t" not in dims
    assert dims["x"]["extent"] == [dem.transform.c, dem.transform.c + 40 * dem.transform.a]
    nc_record = catalog.get("TEMPERATURE")
    assert nc_record.band_names == ["temperature"]
    assert [item.datetime for item in nc_record.items] == [_iso(day) for day in cube.times]
    nc_dims = collection_document(nc_record, BASE)["cube:dimensions"]
    assert nc_dims["x"]["reference_system"] == 4326
    assert np.allclose(nc_dims["y"]["extent"], [cube.lat[0] - 0.005, cube.lat[-1] + 0.005])
    assert np.allclose(nc_dims["x"]["extent"], [cube.lon[0] - 0.005, cube.lon[-1] + 0.005])
    assert nc_dims["t"]["step"] == "P1D"


def _write_multiband(path, data, transform, crs="EPSG:32631", names=("red", "nir"), tags=None):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=data.dtype.name,
        crs=crs,
        transform=transform,
        tiled=True,
        blockxsize=16,
        blockysize=16,
    ) as dst:
        dst.write(data)
        for i, name in enumerate(names, start=1):
            dst.set_band_description(i, name)
        if tags:
            dst.update_tags(**tags)


def test_multiband_files_band_names_from_descriptions_time_from_tags(data_root, tmp_path):
    folder = data_root / "fields"
    folder.mkdir()
    transform = Affine(20, 0, 500000, 0, -20, 4000000)
    rng = np.random.default_rng(1)
    first, second = rng.integers(0, 1000, (2, 2, 32, 32)).astype(np.int16)
    _write_multiband(
        folder / "scene_a.tif", first, transform, tags={"TIFFTAG_DATETIME": "2022:06:01 10:30:00"}
    )
    _write_multiband(
        folder / "scene_b.tif", second, transform, tags={"TIFFTAG_DATETIME": "2022:07:01 10:30:00"}
    )
    record = scan(data_root, tmp_path / "system").get("fields")
    assert record.band_names == ["red", "nir"]
    assert [item.datetime for item in record.items] == ["2022-06-01T10:30:00Z", "2022-07-01T10:30:00Z"]
    values = load_cube(record).values
    assert np.array_equal(values[0], first.astype(np.float32))
    assert np.array_equal(values[1, 1], second[1].astype(np.float32))
    assert collection_document(record, BASE)["cube:dimensions"]["t"]["step"] == "P30D"


def test_sidecar_overrides_metadata_pattern_and_nodata(data_root, tmp_path):
    folder = data_root / "custom"
    folder.mkdir()
    transform = Affine(10, 0, 300000, 0, -10, 5000000)
    data = np.arange(64, dtype=np.uint16).reshape(8, 8)
    for day, band in (("01-03-2021", "ndvi"), ("15-03-2021", "ndvi")):
        synthetic.write_cog(folder / f"x{day}-{band}.tif", data, transform, "EPSG:32632", None, band)
    (folder / "collection.toml").write_text(
        'id = "CUSTOM"\ntitle = "Custom"\nlicense = "CC-BY-4.0"\nkeywords = ["a", "b"]\n'
        'file_pattern = "x(?P<time>\\\\d{2}-\\\\d{2}-\\\\d{4})-(?P<band>\\\\w+)"\ntime_format = "%d-%m-%Y"\n'
        '[bands.ndvi]\ncommon_name = "ndvi"\nnodata = 5\nscale = 0.5\noffset = 1\n',
        encoding="utf-8",
    )
    record = scan(data_root, tmp_path / "system").get("CUSTOM")
    assert [item.datetime for item in record.items] == ["2021-03-01T00:00:00Z", "2021-03-15T00:00:00Z"]
    doc = collection_document(record, BASE)
    assert (doc["title"], doc["license"], doc["keywords"]) == ("Custom", "CC-BY-4.0", ["a", "b"])
    assert doc["summaries"]["eo:bands"] == [{"name": "ndvi", "common_name": "ndvi"}]
    values = load_cube(record).values[1, 0]
    expected = data * 0.5 + 1.0
    expected[data == 5] = np.nan
    assert np.array_equal(values, expected.astype(np.float32), equal_nan=True)


def test_broken_file_is_reported_and_the_rest_works(data_root, tmp_path, s2):
    (s2.folder / "S2_20230105_B05.tif").write_bytes(b"not a tiff at all")
    report = refresh_index(data_root, tmp_path / "system")
    assert any("S2_20230105_B05.tif" in problem for problem in report.problems["SENTINEL2_L2A_DEMO"])
    record = scan(data_root, tmp_path / "system").get("SENTINEL2_L2A_DEMO")
    assert record.band_names == s2.bands
    values = load_cube(record, bands=["B03"]).values[2, 0]
    assert np.array_equal(values, s2.array("B03", 2).astype(np.float32))


def test_rescan_reads_only_changed_sources(data_root, tmp_path, s2):
    synthetic.write_dem(data_root / "DEM.tif", size=16)
    system = tmp_path / "system"
    first = refresh_index(data_root, system)
    assert sorted(first.scanned) == ["DEM", "SENTINEL2_L2A_DEMO"]
    again = refresh_index(data_root, system)
    assert again.scanned == [] and sorted(again.unchanged) == ["DEM", "SENTINEL2_L2A_DEMO"]
    # A new date in the S2 folder: only that collection is read again, and it has the new date.
    new_day = dt.date(2023, 6, 1)
    for band in s2.bands:
        data = s2.array(band, 1)
        synthetic.write_cog(
            s2.folder / f"S2_{new_day:%Y%m%d}_{band}.tif", data, s2.transform, s2.crs, 0, band
        )
    changed = refresh_index(data_root, system)
    assert changed.scanned == ["SENTINEL2_L2A_DEMO"] and changed.unchanged == ["DEM"]
    record = scan(data_root, system).get("SENTINEL2_L2A_DEMO")
    assert _iso(new_day) in [item.datetime for item in record.items]
    # A file rewritten in place (new mtime) also counts as a change; a removed source disappears.
    path = data_root / "DEM.tif"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    assert refresh_index(data_root, system).scanned == ["DEM"]
    path.unlink()
    gone = refresh_index(data_root, system)
    assert gone.removed == ["DEM"]
    stored = json.loads(index_path(system).read_text())["collections"]
    assert list(stored) == ["SENTINEL2_L2A_DEMO"]


def test_mixed_crs_files_are_reprojected_onto_the_collection_grid(data_root, tmp_path):
    folder = data_root / "mixed"
    folder.mkdir()
    utm = Affine(10, 0, 600000, 0, -10, 5700000)
    data = np.full((32, 32), 7, np.uint16)
    synthetic.write_cog(folder / "a_20230101.tif", data, utm, "EPSG:32631", 0, "v")
    synthetic.write_cog(
        folder / "b_20230101.tif", data, Affine(10, 0, 600320, 0, -10, 5700000), "EPSG:32631", 0, "v"
    )
    # The same kind of tile east of these, but stored in lon/lat.
    west, south, east, north = transform_bounds("EPSG:32631", "EPSG:4326", 600640, 5699680, 600960, 5700000)
    geo = Affine((east - west) / 32, 0, west, 0, -(north - south) / 32, north)
    synthetic.write_cog(folder / "c_20230101.tif", np.full((32, 32), 9, np.uint16), geo, "EPSG:4326", 0, "v")
    record = scan(data_root, tmp_path / "system").get("mixed")
    assert record.band_names == ["v"]  # tiles of one mosaic, not bands (names differ, grids too)
    assert record.grid.crs == "EPSG:32631" and record.grid.resolution == (10.0, 10.0)
    assert record.grid.bounds[0] == 600000 and record.grid.bounds[2] >= 600950
    values = load_cube(record).values[0, 0]
    top = round((record.grid.bounds[3] - 5700000) / 10)  # the lon/lat tile's footprint reaches higher
    assert np.all(values[top : top + 32, :64] == 7)
    assert np.all(np.isnan(values[:top, :64])) and np.all(np.isnan(values[top + 32 :, :64]))
    # The middle of the reprojected tile is all 9 (edges may be cut by the rotation of the grids).
    assert np.all(values[top + 8 : top + 24, 72:88] == 9)


def _stac_collection(folder, s2) -> None:
    collection = pystac.Collection(
        id="s2-stac",
        description="Sentinel-2 items from a static catalogue",
        extent=pystac.Extent(
            pystac.SpatialExtent([[4.4, 51.3, 4.6, 51.5]]),
            pystac.TemporalExtent([[dt.datetime(2023, 1, 1, tzinfo=dt.UTC), None]]),
        ),
        license="CC-BY-4.0",
        title="STAC source",
    )
    for index, day in enumerate(s2.dates):
        item = pystac.Item(
            id=f"item-{index}",
            geometry=None,
            bbox=None,
            datetime=dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC),
            properties={"eo:cloud_cover": s2.cloud_cover(index), "platform": "sentinel-2x"},
        )
        for band in ("B04", "B08"):
            item.add_asset(
                band,
                pystac.Asset(str(s2.path(band, index)), media_type=pystac.MediaType.COG, roles=["data"]),
            )
        item.add_asset(
            "thumbnail", pystac.Asset("thumb.png", media_type=pystac.MediaType.PNG, roles=["thumbnail"])
        )
        collection.add_item(item)
    collection.normalize_hrefs(str(folder))
    collection.save(pystac.CatalogType.SELF_CONTAINED)


def test_static_stac_collection(data_root, tmp_path):
    s2 = synthetic.write_sentinel2_demo(
        tmp_path / "elsewhere", size=64, dates=2, blocksize=128, sidecar=False
    )
    _stac_collection(data_root / "s2-stac", s2)
    record = scan(data_root, tmp_path / "system").get("s2-stac")
    assert record.kind == "stac" and record.band_names == ["B04", "B08"]
    doc = collection_document(record, BASE)
    # Served as is where the STAC document says something, completed where it is silent.
    assert doc["extent"]["spatial"]["bbox"] == [[4.4, 51.3, 4.6, 51.5]]
    assert doc["license"] == "CC-BY-4.0" and doc["title"] == "STAC source"
    assert doc["cube:dimensions"]["t"]["values"] == [_iso(day) for day in s2.dates]
    assert doc["links"][0] == {
        "rel": "self",
        "href": f"{BASE}/collections/s2-stac",
        "type": "application/json",
    }
    assert not any(link["rel"] == "item" for link in doc["links"])
    queryables = queryables_document(record, BASE)["properties"]
    assert queryables["platform"] == {"type": "string", "enum": ["sentinel-2x"]}
    values = load_cube(record, bands=["B08"]).values
    assert np.array_equal(values[1, 0], s2.array("B08", 1).astype(np.float32))


def test_unknown_collection_is_collection_not_found(data_root, tmp_path, s2):
    catalog = scan(data_root, tmp_path / "system")
    with pytest.raises(ApiError) as caught:
        catalog.get("NOPE")
    assert caught.value.code == "CollectionNotFound" and caught.value.status == 404
    assert "Did you mean" not in caught.value.message  # nothing is close to NOPE


def test_a_misspelt_collection_id_gets_a_suggestion(data_root, tmp_path, s2):
    catalog = scan(data_root, tmp_path / "system")
    (real,) = [record.id for record in catalog.list()]
    for wrong in (real.lower(), real[:-1], real + "X"):
        with pytest.raises(ApiError) as caught:
            catalog.get(wrong)
        assert caught.value.message.endswith(f"Did you mean '{real}'?"), wrong


def test_no_readable_file_means_no_collection(data_root, tmp_path):
    folder = data_root / "empty"
    folder.mkdir()
    (folder / "a_20200101.tif").write_bytes(b"garbage")
    report = refresh_index(data_root, tmp_path / "system")
    failure = report.failed["empty"]
    assert "no readable raster" in failure.reason and failure.path == str(folder)
    assert scan(data_root, tmp_path / "system").list() == []


def test_a_known_failure_is_tried_again_only_when_its_source_changed(data_root, tmp_path):
    folder = data_root / "empty"
    folder.mkdir()
    (folder / "a_20200101.tif").write_bytes(b"garbage")
    built = []

    def counting_build(source):
        built.append(source.id)
        return build_record(source)

    first = refresh_index(data_root, tmp_path / "system", build=counting_build)
    again = refresh_index(
        data_root, tmp_path / "system", build=counting_build, known_failures=first.failed.values()
    )
    assert built == ["empty"] and again.failed == first.failed
    synthetic.write_dem(folder / "a_20200101.tif", size=16)  # fixed: a new version of the source
    fixed = refresh_index(
        data_root, tmp_path / "system", build=counting_build, known_failures=again.failed.values()
    )
    assert built == ["empty", "empty"] and fixed.failed == {} and fixed.scanned == ["empty"]


def test_zarr_store_with_json_sidecar(data_root, tmp_path):
    import pandas as pd
    import xarray as xr

    values = np.random.default_rng(5).random((3, 8, 10)).astype(np.float32)
    cube = xr.DataArray(
        values,
        dims=("time", "y", "x"),
        coords={
            "time": pd.date_range("2023-01-01", periods=3, freq="7D"),
            "y": 5000000 - 10 * (np.arange(8) + 0.5),
            "x": 300000 + 10 * (np.arange(10) + 0.5),
        },
        name="ndvi",
    )
    cube.to_dataset().rio.write_crs("EPSG:32631").to_zarr(data_root / "weekly.zarr", zarr_format=2)
    (data_root / "weekly.json").write_text(json.dumps({"title": "Weekly NDVI", "license": "MIT"}))
    record = scan(data_root, tmp_path / "system").get("weekly")
    doc = collection_document(record, BASE)
    assert (doc["title"], doc["license"]) == ("Weekly NDVI", "MIT")
    assert doc["cube:dimensions"]["t"]["step"] == "P7D"
    assert doc["cube:dimensions"]["x"]["extent"] == [300000, 300100]
    assert np.array_equal(load_cube(record).values[:, 0], values)
