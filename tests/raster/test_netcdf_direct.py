"""netCDF-4 windows read through h5py give exactly what GDAL gives, or are left to GDAL."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from openeo_gip.demodata import synthetic
from openeo_gip.raster import netcdf_direct, reader
from openeo_gip.raster.records import Asset, Grid
from tests.support.catalogs import scan

WINDOWS = [Window(0, 0, 12, 12), Window(3, 1, 5, 7), Window(11, 11, 1, 1)]


def _gdal_asset(path, variable: str, index: int) -> tuple[Asset, rasterio.DatasetReader]:
    href = f'NETCDF:"{path}":{variable}'
    source = rasterio.open(href)
    return Asset(
        href, index, Grid(str(source.crs), list(source.transform)[:6], source.width, source.height)
    ), source


@pytest.mark.parametrize("north_first", [False, True])
@pytest.mark.parametrize("compress", [False, True])
def test_windows_equal_gdals_for_either_row_order_and_compression(tmp_path, north_first, compress):
    cube = synthetic.write_netcdf_cube(
        tmp_path / "T.nc", size=12, days=3, north_first=north_first, compress=compress
    )
    for index in (1, 3):
        asset, source = _gdal_asset(cube.path, "temperature", index)
        with source:
            for window in WINDOWS:
                direct = netcdf_direct.read(asset, window)
                assert direct is not None, "this variable's layout is plain: h5py reads it"
                assert np.array_equal(direct, source.read(index, window=window))


def test_the_reader_gives_the_same_cube_either_way_and_north_up(data_root, tmp_path):
    south_first = synthetic.write_netcdf_cube(data_root / "S.nc", size=12, days=3)
    north_first = synthetic.write_netcdf_cube(data_root / "N.nc", size=12, days=3, north_first=True)
    catalog = scan(data_root, tmp_path / "system")
    for cube_file, name in ((south_first, "S"), (north_first, "N")):
        cube = reader.load_cube(catalog.get(name))
        assert cube["y"].values[0] > cube["y"].values[-1]
        assert np.allclose(cube.values[:, 0], cube_file.values(), atol=1e-3, equal_nan=True)


def _plain_netcdf(path, fmt: str, coordinates: bool) -> np.ndarray:
    values = np.arange(3 * 6 * 5, dtype=np.int16).reshape(3, 6, 5)
    with netCDF4.Dataset(path, "w", format=fmt) as nc:
        for name, size in (("t", 3), ("y", 6), ("x", 5)):
            nc.createDimension(name, size)
        if coordinates:
            nc.createVariable("y", "f8", ("y",))[:] = 100 + 10 * np.arange(6)
            nc.createVariable("x", "f8", ("x",))[:] = 10 * np.arange(5)
        nc.createVariable("v", "i2", ("t", "y", "x"))[:] = values
    return values


@pytest.mark.parametrize(
    "fmt, coordinates", [("NETCDF4", False), ("NETCDF3_CLASSIC", True), ("NETCDF3_CLASSIC", False)]
)
def test_files_without_a_certain_row_order_or_not_hdf5_are_left_to_gdal(tmp_path, fmt, coordinates):
    path = tmp_path / "plain.nc"
    _plain_netcdf(path, fmt, coordinates)
    asset, source = _gdal_asset(path, "v", 2)
    with source:
        assert netcdf_direct.read(asset, Window(0, 0, 5, 6)) is None
        assert np.array_equal(
            reader._read_band(asset, Window(1, 2, 3, 3)), source.read(2, window=Window(1, 2, 3, 3))
        )


def test_a_file_replaced_in_place_is_read_anew(tmp_path):
    path = tmp_path / "T.nc"
    synthetic.write_netcdf_cube(path, size=12, days=3, seed=1)
    asset, source = _gdal_asset(path, "temperature", 1)
    source.close()
    first = netcdf_direct.read(asset, WINDOWS[0])
    replacement = synthetic.write_netcdf_cube(
        tmp_path / "new" / "T.nc", size=12, days=3, seed=2, north_first=True
    )
    replacement.path.replace(path)
    again = netcdf_direct.read(asset, WINDOWS[0])
    assert not np.array_equal(first, again)
    assert np.array_equal(again, replacement.packed[0])  # north first: stored rows are GDAL's rows
