"""Dimension and label processes."""

from __future__ import annotations

import numpy as np
import pytest

from openeo_gip.errors import ApiError
from openeo_gip.processes.cube.dimensions import (
    add_dimension,
    dimension_labels,
    drop_dimension,
    rename_dimension,
    rename_labels,
    trim_cube,
)
from tests.support.cube_builders import make_cube


def test_dimension_labels_as_openeo_values():
    cube = make_cube()
    assert dimension_labels(cube, "bands") == ["B02", "B04", "B08"]
    assert dimension_labels(cube, "t")[0] == "2021-01-05T00:00:00Z"
    assert dimension_labels(cube, "x") == [float(v) for v in cube["x"].values]
    with pytest.raises(ApiError) as error:
        dimension_labels(cube, "z")
    assert error.value.code == "DimensionNotAvailable"


def test_rename_labels_on_bands_keeps_data_order():
    cube = make_cube()
    out = rename_labels(cube, "bands", ["red", "blue"], ["B04", "B02"])
    assert dimension_labels(out, "bands") == ["blue", "red", "B08"]
    np.testing.assert_array_equal(out.values, cube.values)


@pytest.mark.parametrize(
    ("target", "source", "code"),
    [
        (["a"], [], "LabelsNotEnumerated"),
        (["a", "b"], ["B02"], "LabelMismatch"),
        (["a"], ["B99"], "LabelNotAvailable"),
        (["B08"], ["B02"], "LabelExists"),
    ],
)
def test_rename_labels_errors(target, source, code):
    with pytest.raises(ApiError) as error:
        rename_labels(make_cube(), "bands", target, source)
    assert error.value.code == code


def test_rename_labels_of_enumerated_dimension_and_of_dates():
    cube = make_cube().assign_coords(bands=[0, 1, 2])
    assert dimension_labels(rename_labels(cube, "bands", ["a", "b", "c"]), "bands") == ["a", "b", "c"]
    dated = rename_labels(make_cube(), "t", ["2022-01-01"], ["2021-01-05"])
    assert dimension_labels(dated, "t")[0] == "2022-01-01T00:00:00Z"


@pytest.mark.parametrize("new_label", ["first", "June", 7, 1.5])
def test_rename_labels_of_time_to_labels_that_are_not_dates(new_label):
    # The definition allows any string or number as target; the renamed date keeps its data, the others
    # stay as their ISO date-times.
    cube = make_cube()
    renamed = rename_labels(cube, "t", [new_label], ["2021-01-05"])
    labels = dimension_labels(renamed, "t")
    assert labels[0] == new_label
    assert labels[1:] == dimension_labels(cube, "t")[1:]
    np.testing.assert_array_equal(renamed.values, cube.values)


def test_rename_labels_of_time_from_a_label_that_is_not_a_date():
    with pytest.raises(ApiError) as error:
        rename_labels(make_cube(), "t", ["x"], ["first"])
    assert error.value.code == "LabelNotAvailable"


def test_rename_dimension_add_and_drop_dimension():
    cube = make_cube()
    renamed = rename_dimension(cube, "bands", "spectral")
    assert renamed.dims == ("t", "spectral", "y", "x")
    assert dimension_labels(renamed, "spectral") == ["B02", "B04", "B08"]
    with pytest.raises(ApiError) as error:
        rename_dimension(cube, "bands", "t")
    assert error.value.code == "DimensionExists"
    added = add_dimension(cube, "run", "first")
    assert added.sizes["run"] == 1 and dimension_labels(added, "run") == ["first"]
    with pytest.raises(ApiError) as error:
        add_dimension(cube, "t", "x")
    assert error.value.code == "DimensionExists"
    dropped = drop_dimension(added, "run")
    assert dropped.dims == cube.dims
    np.testing.assert_array_equal(dropped.values, cube.values)
    with pytest.raises(ApiError) as error:
        drop_dimension(cube, "bands")
    assert error.value.code == "DimensionLabelCountMismatch"


def test_trim_cube_removes_empty_borders_and_empty_labels():
    cube = make_cube(nan_fraction=0).load()
    cube[:, :, 0, :] = np.nan  # first row empty everywhere
    cube[:, :, :, -1] = np.nan  # last column empty
    cube[1] = np.nan  # second date empty
    cube[:, 1] = np.nan  # band B04 empty
    out = trim_cube(cube.chunk({"y": 2}))
    assert dimension_labels(out, "bands") == ["B02", "B08"]
    assert (
        out.sizes["t"] == 3
        and out.sizes["y"] == cube.sizes["y"] - 1
        and out.sizes["x"] == cube.sizes["x"] - 1
    )
    np.testing.assert_array_equal(out.values, cube.values[[0, 2, 3]][:, [0, 2]][:, :, 1:, :-1])


def test_add_dimension_of_type_temporal_takes_a_date():
    cube = make_cube().isel(t=0, drop=True)
    added = add_dimension(cube, "t", "2022-06-01T10:00:00+02:00", type="temporal")
    assert dimension_labels(added, "t") == ["2022-06-01T08:00:00Z"]
    np.testing.assert_array_equal(added.isel(t=0).values, cube.values)


@pytest.mark.parametrize("label", ["first", "June", "2022-13-45", 7, 1.5])
def test_add_dimension_of_type_temporal_refuses_a_label_that_is_no_date(label):
    # A 500 (a date parse error) for "first"; "June", 7 and 1.5 became the years 1 and 1970.
    with pytest.raises(ApiError) as error:
        add_dimension(make_cube().isel(t=0, drop=True), "t", label, type="temporal")
    assert error.value.code == "ProcessParameterInvalid"
    assert repr(label) in error.value.message
