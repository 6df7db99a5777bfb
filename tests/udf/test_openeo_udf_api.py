"""The child calls UDFs the way the openEO UDF API defines (``openeo.udf``): by the function's name and the
annotations of its parameters, in real sandboxed processes, results checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage

from tests.udf.test_sandbox import failure, run, small_cube

# Every UDF runs in its own sandboxed process: seconds per test.
pytestmark = pytest.mark.slow


def test_an_xarraydatacube_annotation_gets_an_xarraydatacube_in_the_openeo_dimension_order():
    cube = small_cube()
    result = run(
        """
        from openeo.udf import XarrayDataCube

        def apply_datacube(cube: XarrayDataCube, context: dict) -> XarrayDataCube:
            array = cube.get_array()
            if array.dims != ("t", "bands", "y", "x"):
                raise ValueError(f"dimensions {array.dims}")
            array.values = context["factor"] * array.values
            return cube
        """,
        cube.transpose("x", "bands", "y", "t"),
        context={"factor": 0.5},
    )
    np.testing.assert_allclose(result.transpose(*cube.dims).values, cube.values * 0.5)


def test_annotations_as_text_and_the_names_other_back_ends_provide_without_imports():
    cube = small_cube()
    result = run(
        """
        from __future__ import annotations

        def apply_datacube(cube: XarrayDataCube, context: dict) -> XarrayDataCube:
            array = cube.get_array()
            return DataCube(xarray.DataArray(np.sqrt(array.values), dims=array.dims, coords=array.coords))
        """,
        cube,
    )
    np.testing.assert_allclose(result.values, np.sqrt(cube.values))


def test_a_function_taking_udf_data_changes_it_in_place():
    cube = small_cube()
    result = run(
        """
        from openeo.udf import UdfData, XarrayDataCube

        def reduce_time(data: UdfData):
            [only] = data.get_datacube_list()
            largest = only.get_array().max(dim="t") * data.user_context["scale"]
            data.set_datacube_list([XarrayDataCube(largest)])
        """,
        cube,
        context={"scale": 3},
    )
    assert result.dims == ("bands", "y", "x")
    np.testing.assert_allclose(result.values, cube.values.max(axis=0) * 3)
    assert list(result["bands"].values) == ["B04", "B08"]


def test_apply_metadata_names_the_bands_the_udf_computes():
    cube = small_cube()
    result = run(
        """
        import xarray
        from openeo.metadata import CollectionMetadata

        def apply_metadata(metadata: CollectionMetadata, context: dict) -> CollectionMetadata:
            assert metadata.band_names == ["B04", "B08"] and metadata.has_temporal_dimension()
            return metadata.rename_labels(dimension="bands", target=context["names"])

        def apply_datacube(cube: xarray.DataArray, context: dict) -> xarray.DataArray:
            red, nir = cube.sel(bands="B04"), cube.sel(bands="B08")
            return xarray.concat([nir + red, nir - red], dim="bands")
        """,
        cube,
        context={"names": ["sum", "difference"]},
    )
    assert list(result["bands"].values) == ["sum", "difference"]
    red, nir = cube.sel(bands="B04").values, cube.sel(bands="B08").values
    np.testing.assert_allclose(result.sel(bands="sum").values, nir + red)
    np.testing.assert_allclose(result.sel(bands="difference").values, nir - red)


def test_apply_metadata_that_does_not_fit_the_result_and_code_without_entry_point_are_clear_errors():
    too_many = failure(
        """
        def apply_metadata(metadata, context):
            return metadata.rename_labels(dimension="bands", target=["a", "b", "c"])

        def apply_datacube(cube, context):
            return cube
        """
    )
    assert "apply_metadata names 3 labels of 'bands'" in too_many.message
    nothing = failure("def helper(cube):\n    return cube\n")
    assert "apply_datacube(cube, context)" in nothing.message and "apply_timeseries" in nothing.message


def test_scipy_is_part_of_the_runtime():
    cube = small_cube()
    result = run(
        """
        import xarray
        from scipy import ndimage

        def apply_datacube(cube: xarray.DataArray, context: dict) -> xarray.DataArray:
            return cube.copy(data=ndimage.uniform_filter(cube.values, size=(1, 1, 3, 3)))
        """,
        cube,
    )
    np.testing.assert_allclose(result.values, scipy.ndimage.uniform_filter(cube.values, size=(1, 1, 3, 3)))
