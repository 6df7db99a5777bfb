"""resample_spatial: coarser grids and other projections."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from openeo_gip.errors import ApiError
from openeo_gip.processes.cube.resample import resample_spatial
from tests.support.cube_builders import ORIGIN_X, ORIGIN_Y, make_cube


def test_resample_to_double_pixel_size_with_average():
    cube = make_cube(height=6, width=4, nan_fraction=0)
    out = resample_spatial(cube, resolution=20, method="average")
    assert out.sizes["x"] == 2 and out.sizes["y"] == 3 and out.dims == cube.dims
    np.testing.assert_allclose(out["x"].values, ORIGIN_X + 10 + 20 * np.arange(2))
    np.testing.assert_allclose(out["y"].values, ORIGIN_Y - 10 - 20 * np.arange(3))
    blocks = cube.values.reshape(4, 3, 3, 2, 2, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(out.values, blocks, rtol=1e-5)
    assert out.rio.crs == cube.rio.crs


def test_resample_to_another_projection_keeps_values_near_their_place():
    cube = make_cube(height=20, width=20, nan_fraction=0)
    out = resample_spatial(cube, projection=3857, method="near")
    assert pyproj.CRS.from_user_input(out.rio.crs) == pyproj.CRS.from_epsg(3857)
    # The value at a target pixel centre equals the source pixel holding that point.
    to_utm = pyproj.Transformer.from_crs(3857, 32631, always_xy=True)
    j, i = out.sizes["y"] // 2, out.sizes["x"] // 2
    x, y = to_utm.transform(float(out["x"][i]), float(out["y"][j]))
    column, row = int((x - ORIGIN_X) // 10), int((ORIGIN_Y - y) // 10)
    assert float(out.isel(t=0, bands=0, y=j, x=i)) == pytest.approx(
        float(cube.isel(t=0, bands=0)[row, column])
    )


def test_resample_rejects_bad_arguments():
    with pytest.raises(ApiError) as error:
        resample_spatial(make_cube(), resolution=-1)
    assert error.value.code == "ProcessParameterInvalid"
    with pytest.raises(ApiError) as error:
        resample_spatial(make_cube(), resolution=20, method="magic")
    assert error.value.code == "ProcessParameterInvalid"
