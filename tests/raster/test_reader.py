"""The lazy reader: exact values, extents in any CRS, time, bands, properties, reading only what is asked."""

from __future__ import annotations

import copy
import dataclasses

import dask
import numpy as np
import pytest
import xarray as xr
from affine import Affine
from rasterio.crs import CRS
from rasterio.warp import transform as transform_points

from openeo_gip.demodata import synthetic
from openeo_gip.errors import ApiError
from openeo_gip.raster import reader
from tests.support.catalogs import scan


def _expected(s2, band: str, index: int) -> np.ndarray:
    """What the reader must return: the stored integers as floats, the nodata value 0 as NaN."""
    values = s2.array(band, index).astype(np.float32)
    values[s2.array(band, index) == 0] = np.nan
    return values


@pytest.fixture
def record(data_root, tmp_path, s2):
    return scan(data_root, tmp_path / "system").get("SENTINEL2_L2A_DEMO")


def test_whole_cube_has_exact_values_coordinates_and_crs(record, s2):
    cube = reader.load_cube(record)
    assert cube.dims == ("t", "bands", "y", "x") and cube.dtype == np.float32
    assert isinstance(cube.data, dask.array.Array)
    assert list(cube["bands"].values) == s2.bands
    assert list(cube["t"].values) == [np.datetime64(day, "ns") for day in s2.dates]
    assert cube.rio.crs.to_epsg() == 32631
    transform = s2.transform
    assert np.allclose(cube["x"].values, transform.c + 10 * (np.arange(s2.size) + 0.5))
    assert np.allclose(cube["y"].values, transform.f - 10 * (np.arange(s2.size) + 0.5))
    values = cube.values
    for index in range(len(s2.dates)):
        for number, band in enumerate(s2.bands):
            assert np.array_equal(values[index, number], _expected(s2, band, index), equal_nan=True)
    assert np.isnan(values[0, 0, :, 0]).all()  # the generator's nodata edge on the first date


def test_spatial_extent_in_the_collection_crs_selects_the_pixel_window(record, s2):
    west, north = s2.transform.c + 100, s2.transform.f - 200  # pixel column 10, row 20
    extent = {"west": west, "east": west + 150, "north": north, "south": north - 90, "crs": 32631}
    cube = reader.load_cube(record, spatial_extent=extent, bands=["B04"])
    assert cube.shape == (3, 1, 9, 15)
    assert np.array_equal(cube.values[2, 0], _expected(s2, "B04", 2)[20:29, 10:25], equal_nan=True)


def test_spatial_extent_in_lonlat_is_reprojected(record, s2):
    lon, lat = transform_points(
        "EPSG:32631",
        "EPSG:4326",
        [s2.transform.c + 205, s2.transform.c + 395],
        [s2.transform.f - 405, s2.transform.f - 205],
    )
    extent = {"west": lon[0], "east": lon[1], "south": lat[0], "north": lat[1]}  # crs defaults to 4326
    cube = reader.load_cube(
        record, spatial_extent=extent, bands=["B08"], temporal_extent=("2023-02-01", None)
    )
    # Every pixel centre inside the box is there; the box's corners in UTM lie within one pixel of the cut.
    xs, ys = cube["x"].values, cube["y"].values
    assert xs[0] <= s2.transform.c + 215 and xs[-1] >= s2.transform.c + 385
    assert ys[0] >= s2.transform.f - 215 and ys[-1] <= s2.transform.f - 395
    cols = ((xs - s2.transform.c) // 10).astype(int)
    rows = ((s2.transform.f - ys) // 10).astype(int)
    expected = _expected(s2, "B08", 1)[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    assert np.array_equal(cube.values[0, 0], expected, equal_nan=True)


def test_temporal_extent_is_half_open(record, s2):
    second = f"{s2.dates[1]:%Y-%m-%d}"
    cube = reader.load_cube(record, temporal_extent=(None, second))
    assert list(cube["t"].values) == [np.datetime64(s2.dates[0], "ns")]
    cube = reader.load_cube(record, temporal_extent=(second, None))
    assert list(cube["t"].values) == [np.datetime64(day, "ns") for day in s2.dates[1:]]
    cube = reader.load_cube(record, temporal_extent=(f"{second}T00:00:00Z", f"{second}T00:00:01Z"))
    assert cube.sizes["t"] == 1
    assert reader.load_cube(record, temporal_extent=("2030-01-01", None)).sizes["t"] == 0


def test_bands_by_name_or_common_name_in_the_order_asked(record, s2):
    cube = reader.load_cube(record, bands=["nir", "B02"])
    assert list(cube["bands"].values) == ["B08", "B02"]
    assert np.array_equal(cube.values[1, 0], _expected(s2, "B08", 1), equal_nan=True)
    with pytest.raises(ApiError) as caught:
        reader.load_cube(record, bands=["B99"])
    assert caught.value.code == "ProcessParameterInvalid" and "B99" in caught.value.message


def test_property_filters_select_items(record, s2):
    covers = [s2.cloud_cover(i) for i in range(len(s2.dates))]
    limit = sorted(covers)[1]
    cube = reader.load_cube(record, properties={"eo:cloud_cover": lambda value: value <= limit})
    wanted = [np.datetime64(day, "ns") for day, cover in zip(s2.dates, covers, strict=True) if cover <= limit]
    assert list(cube["t"].values) == wanted and len(wanted) == 2
    assert reader.load_cube(record, properties={"platform": "sentinel-2-synthetic"}).sizes["t"] == 3
    assert reader.load_cube(record, properties={"platform": "other"}).sizes["t"] == 0


def test_netcdf_scale_offset_and_fill_value(data_root, tmp_path):
    cube_file = synthetic.write_netcdf_cube(data_root / "T.nc", size=12, days=4)
    record = scan(data_root, tmp_path / "system").get("T")
    cube = reader.load_cube(record, temporal_extent=("2023-01-02", "2023-01-04"))
    assert cube.dims == ("t", "bands", "y", "x") and cube.rio.crs.to_epsg() == 4326
    expected = cube_file.values()[1:3]
    assert np.isnan(expected).any()
    assert np.allclose(cube.values[:, 0], expected, atol=1e-3, equal_nan=True)
    assert np.allclose(cube["y"].values, cube_file.lat[::-1])


def test_timeless_single_file_has_no_t_dimension(data_root, tmp_path):
    dem = synthetic.write_dem(data_root / "DEM.tif", size=20)
    record = scan(data_root, tmp_path / "system").get("DEM")
    cube = reader.load_cube(record)
    assert cube.dims == ("bands", "y", "x")
    expected = np.where(dem.elevation == dem.nodata, np.nan, dem.elevation)
    assert np.array_equal(cube.values[0], expected, equal_nan=True)


def test_tiles_of_one_date_are_mosaicked(data_root, tmp_path):
    folder = data_root / "mosaic"
    folder.mkdir()
    rng = np.random.default_rng(3)
    left, right = rng.integers(1, 500, (2, 16, 16)).astype(np.uint16)
    for name, data, x0 in (("west", left, 100000), ("east", right, 100160)):
        synthetic.write_cog(
            folder / f"{name}_2020-05-01.tif", data, Affine(10, 0, x0, 0, -10, 0), "EPSG:32633", 0, "v"
        )
    cube = reader.load_cube(scan(data_root, tmp_path / "system").get("mosaic"))
    assert cube.shape == (1, 1, 16, 32)
    assert np.array_equal(cube.values[0, 0], np.hstack([left, right]).astype(np.float32))


def test_empty_extent_gives_an_empty_cube(record):
    cube = reader.load_cube(record, spatial_extent={"west": 0, "east": 1, "south": 0, "north": 1})
    assert cube.sizes["x"] == 0 and cube.sizes["y"] == 0
    with pytest.raises(ApiError) as caught:
        reader.load_cube(record, spatial_extent={"west": 5, "east": 4, "south": 51, "north": 52})
    assert caught.value.code == "ProcessParameterInvalid"


def test_only_the_files_bands_and_tiles_needed_are_read(data_root, tmp_path, monkeypatch):
    s2 = synthetic.write_sentinel2_demo(data_root / "BIG", size=512, dates=2, blocksize=128, sidecar=False)
    record = scan(data_root, tmp_path / "system").get("BIG")
    reads: list[tuple[str, int, int, int, int]] = []
    original = reader.read_window

    def counting_read_window(assets, grid, row, col, height, width, dtype):
        reads.extend((asset.href, row, col, height, width) for asset in assets)
        return original(assets, grid, row, col, height, width, dtype)

    monkeypatch.setattr(reader, "read_window", counting_read_window)
    full = reader.load_cube(record, chunks=256)
    assert full.chunks[2:] == ((256, 256), (256, 256))  # whole tiles of 128
    # A 5 x 5 pixel window inside one tile, one band, one date.
    x0, y0 = s2.transform.c + 10 * 300, s2.transform.f - 10 * 140
    extent = {"west": x0, "east": x0 + 50, "north": y0, "south": y0 - 50, "crs": "EPSG:32631"}
    cube = reader.load_cube(
        record, spatial_extent=extent, bands=["B04"], temporal_extent=("2023-02-01", None)
    )
    values = cube.values
    assert reads == [(str(s2.path("B04", 1)), 140, 300, 5, 5)]
    assert np.array_equal(values[0, 0], _expected(s2, "B04", 1)[140:145, 300:305])


def test_task_keys_follow_the_files_so_a_file_replaced_in_place_is_read_anew(record, s2):
    before = reader.load_cube(record, bands=["B04"])
    assert reader.load_cube(record, bands=["B04"]).data.name == before.data.name  # the same graph shares
    path, values = s2.path("B04", 0), s2.array("B04", 0)
    synthetic.write_cog(path, values[::-1].copy(), s2.transform, s2.crs, 0, "B04")  # same header, new pixels
    after = reader.load_cube(record, bands=["B04"])
    assert after.data.name != before.data.name
    np.testing.assert_array_equal(after.isel(t=0, bands=0).values, _expected(s2, "B04", 0)[::-1])


def test_two_windows_from_the_same_pixel_have_their_own_task_keys(record, s2):
    west, north = s2.transform.c + 100, s2.transform.f - 200  # pixel column 10, row 20
    small, large = (
        reader.load_cube(
            record,
            bands=["B04"],
            spatial_extent={
                "west": west,
                "east": west + 10 * n,
                "north": north,
                "south": north - 10 * n,
                "crs": 32631,
            },
        )
        for n in (5, 9)
    )
    # One graph using both: with one name, the blocks of one window stood in for the other's.
    both = dask.array.concatenate([small.data, large.data[..., :5, :5]], axis=-1).compute()
    expected = _expected(s2, "B04", 1)[20:25, 10:15]
    assert small.data.name != large.data.name
    np.testing.assert_array_equal(both[1, 0], np.concatenate([expected, expected], axis=-1))


def test_task_keys_name_everything_that_is_read(record, s2):
    """Keys are made from the files, window, bands, dates, axes and dtype (not by dask walking the file
    records): each of them changing gives other keys, asking the same again the same keys."""
    plan = reader.select_source(record, bands=["B04"])
    name = reader.build_cube(plan).data.name
    assert reader.build_cube(reader.select_source(record, bands=["B04"])).data.name == name
    rescaled = copy.deepcopy(record)
    for item in rescaled.items:
        item.assets["B04"][0].scale = 2.0  # e.g. the collection's sidecar changed, not the files
    west, north = s2.transform.c, s2.transform.f
    window = {"west": west, "east": west + 100, "north": north, "south": north - 100, "crs": 32631}
    others = {
        "bands": reader.select_source(record, bands=["B08"]),
        "dates": reader.select_source(record, bands=["B04"], temporal_extent=("2023-02-01", None)),
        "window": reader.select_source(record, bands=["B04"], spatial_extent=window),
        "dtype": dataclasses.replace(plan, dtype=np.dtype("float64")),
        "scale": reader.select_source(rescaled, bands=["B04"]),
    }
    names = {what: reader.build_cube(other).data.name for what, other in others.items()}
    names["no band axis"] = reader.build_cube(plan, keep_bands=False).data.name
    assert name not in names.values() and len(set(names.values())) == len(names), names
    # The read of a slice (processes/cube/pushdown.py) is the read of its cube.
    assert reader.read_array(others["window"]).name == names["window"]


@pytest.mark.parametrize("crs", ["EPSG:32631", "EPSG:3035", "ESRI:54009"])
def test_the_crs_coordinate_is_what_rioxarray_writes(record, crs):
    """``spatial_ref`` (CF attributes, WKT, transform) and the encoding as rioxarray's ``write_crs`` and
    ``write_transform`` make them, for grids in several CRSs built one after the other."""
    grid = dataclasses.replace(record.grid, crs=crs)
    cube = reader.build_cube(reader.select_source(dataclasses.replace(record, grid=grid), bands=["B04"]))
    expected = (
        xr.DataArray(np.zeros((grid.height, grid.width)), dims=("y", "x"))
        .rio.write_crs(CRS.from_user_input(crs))
        .rio.write_transform(grid.affine)
    )
    assert cube.coords["spatial_ref"].attrs == expected.coords["spatial_ref"].attrs
    assert cube.coords["spatial_ref"].values == expected.coords["spatial_ref"].values
    assert cube.encoding == expected.encoding == {"grid_mapping": "spatial_ref"}
    assert cube.rio.crs == CRS.from_user_input(crs) and cube.rio.transform() == grid.affine


def test_consecutive_dates_share_a_chunk_up_to_the_limits(data_root, tmp_path):
    # Fewer, larger tasks: each costs the distributed scheduler about as much as reading a small chunk.
    s2 = synthetic.write_sentinel2_demo(data_root / "LONG", size=32, dates=20, blocksize=128)
    record = scan(data_root, tmp_path / "system").get("LONG")
    cube = reader.load_cube(record, bands=["B04", "B08"])
    assert cube.chunks[:2] == ((16, 4), (1, 1))  # at most 16 dates, one band
    expected = np.stack([[_expected(s2, band, i) for band in ("B04", "B08")] for i in range(20)])
    assert np.array_equal(cube.values, expected, equal_nan=True)
    assert reader._dates_per_chunk(2048 * 2048 * 4) == 1 and reader._dates_per_chunk(1024 * 1024 * 4) == 4
