"""merge_cubes, mask, ndvi and normalized_difference."""

from __future__ import annotations

import numpy as np
import pytest

from openeo_gip.errors import ApiError
from openeo_gip.model.values import Callback
from openeo_gip.processes.cube.bands import ndvi, normalized_difference
from openeo_gip.processes.cube.combine import mask, merge_cubes
from tests.support.cube_builders import make_cube


def test_merge_cubes_with_disjoint_bands_needs_no_resolver():
    cube = make_cube()
    first, second = cube.isel(bands=[2]), cube.isel(bands=[0, 1])
    out = merge_cubes(first, second)
    assert list(out["bands"].values) == ["B08", "B02", "B04"]  # cube1's labels first, not sorted
    np.testing.assert_array_equal(out.values, cube.values[:, [2, 0, 1]])
    assert out.rio.crs == cube.rio.crs


def test_merge_cubes_with_overlapping_bands_uses_the_resolver_only_on_the_overlap():
    cube = make_cube(nan_fraction=0)
    first, second = cube.isel(bands=[0, 1]), cube.isel(bands=[1, 2]) * 10
    with pytest.raises(ApiError) as error:
        merge_cubes(first, second)
    assert error.value.code == "OverlapResolverMissing"
    resolver = Callback(lambda x, y, context=None: x + y)
    out = merge_cubes(first, second, resolver)
    assert list(out["bands"].values) == ["B02", "B04", "B08"]
    np.testing.assert_allclose(out.sel(bands="B02").values, cube.values[:, 0])
    np.testing.assert_allclose(out.sel(bands="B04").values, cube.values[:, 1] * 11, rtol=1e-6)
    np.testing.assert_allclose(out.sel(bands="B08").values, cube.values[:, 2] * 10, rtol=1e-6)


def test_merge_cubes_along_time_keeps_dates_sorted():
    cube = make_cube()
    out = merge_cubes(cube.isel(t=[1, 3]), cube.isel(t=[0, 2]))
    np.testing.assert_array_equal(out["t"].values, cube["t"].values)
    np.testing.assert_array_equal(out.values, cube.values)


def test_mask_replaces_where_mask_is_true_and_broadcasts_missing_dimensions():
    cube = make_cube(nan_fraction=0)
    cloud = cube.isel(bands=0, drop=True) > 1500  # per date and pixel, no bands
    out = mask(cube, cloud)
    expected = np.where((cube.values[:, 0] > 1500)[:, None], np.nan, cube.values)
    np.testing.assert_array_equal(out.values, expected)
    replaced = mask(cube, cloud.astype(float), replacement=-1)
    np.testing.assert_array_equal(replaced.values, np.where(np.isnan(expected), -1, expected))


def test_mask_with_other_labels_is_incompatible():
    cube = make_cube()
    with pytest.raises(ApiError) as error:
        mask(cube, cube.isel(t=[0, 1]) > 0)
    assert error.value.code == "IncompatibleDataCubes"


def test_ndvi_by_common_names_and_with_target_band():
    cube = make_cube(common_names=("blue", "red", "nir"))
    red, nir = cube.values[:, 1], cube.values[:, 2]
    out = ndvi(cube)
    assert out.dims == ("t", "y", "x")
    np.testing.assert_allclose(out.values, (nir - red) / (nir + red), rtol=1e-6)
    kept = ndvi(cube, nir="B08", red="B04", target_band="NDVI")
    assert list(kept["bands"].values) == ["B02", "B04", "B08", "NDVI"]
    np.testing.assert_allclose(kept.sel(bands="NDVI").values, (nir - red) / (nir + red), rtol=1e-6)
    np.testing.assert_array_equal(kept.sel(bands="B02").values, cube.values[:, 0])


def test_ndvi_of_unsigned_integers_is_a_float_and_does_not_wrap_around():
    cube = make_cube(nan_fraction=0.0).fillna(0).round().astype(np.uint16)
    red, nir = (cube.sel(bands=band).values.astype(np.float64) for band in ("B04", "B08"))
    assert (nir < red).any()  # where uint16 subtraction would wrap around
    out = ndvi(cube, nir="B08", red="B04")
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.values, (nir - red) / (nir + red), rtol=1e-12)


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"nir": "B99"}, "NirBandAmbiguous"),
        ({"nir": "B08", "red": "B99"}, "RedBandAmbiguous"),
        ({"nir": "B08", "red": "B04", "target_band": "B02"}, "BandExists"),
    ],
)
def test_ndvi_errors(arguments, code):
    with pytest.raises(ApiError) as error:
        ndvi(make_cube(), **arguments)
    assert error.value.code == code
    with pytest.raises(ApiError) as error:
        ndvi(make_cube().isel(bands=0, drop=True))
    assert error.value.code == "DimensionAmbiguous"


def test_normalized_difference_on_numbers_and_cubes():
    assert normalized_difference(3, 1) == 0.5
    assert normalized_difference(None, 1) is None
    assert np.isnan(normalized_difference(0, 0))
    cube = make_cube()
    a, b = cube.isel(bands=2), cube.isel(bands=1)
    np.testing.assert_allclose(
        normalized_difference(a, b).values, (a.values - b.values) / (a.values + b.values), rtol=1e-6
    )
