"""The CRS of a cube as the geometry helpers see it."""

from __future__ import annotations

import pyproj

from openeo_gip.processes.cube.geometry import cube_crs
from tests.support.cube_builders import CRS, make_cube


def test_cube_crs_is_each_cubes_own():
    utm = make_cube()
    lambert = make_cube().rio.write_crs("EPSG:3035")
    for _ in range(2):  # made once per CRS: the second time comes from the cache
        assert cube_crs(utm) == pyproj.CRS.from_user_input(CRS)
        assert cube_crs(lambert) == pyproj.CRS.from_epsg(3035)
    assert cube_crs(make_cube().isel(x=0)) is None  # no longer a grid in x and y
