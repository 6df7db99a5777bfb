"""aggregate_spatial_window against numpy block reductions, for each boundary and alignment."""

from __future__ import annotations

import numpy as np
import pytest

from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ProcessContext
from tests.support.cube_builders import PIXEL, make_cube, nanmean
from tests.support.processes import PREDEFINED


def window(cube, size, reducer="mean", **options):
    graph = {
        "w": {
            "process_id": "aggregate_spatial_window",
            "arguments": {
                "data": {"from_parameter": "cube"},
                "size": size,
                "reducer": {
                    "process_graph": {
                        "r": {
                            "process_id": reducer,
                            "arguments": {"data": {"from_parameter": "data"}},
                            "result": True,
                        }
                    }
                },
                **options,
            },
            "result": True,
        }
    }
    return run_process(
        {"process_graph": graph},
        ProcessContext(services=None),
        processes=PREDEFINED,
        parameters={"cube": cube},
    )


def blocks(values: np.ndarray, size_x: int, size_y: int, pad: dict) -> np.ndarray:
    """(..., y, x) padded with NaN as ``pad`` says, then reduced by nanmean in size_y x size_x blocks."""
    widths = [(0, 0)] * (values.ndim - 2) + [pad["y"], pad["x"]]
    padded = np.pad(values.astype(float), widths, constant_values=np.nan)
    *lead, height, width = padded.shape
    shaped = padded.reshape(*lead, height // size_y, size_y, width // size_x, size_x).swapaxes(-3, -2)
    return nanmean(shaped.reshape(*lead, height // size_y, width // size_x, size_y * size_x), -1)


@pytest.mark.parametrize(
    ("align", "pad_x"),
    [("upper-left", (0, 1)), ("lower-left", (0, 1)), ("upper-right", (1, 0)), ("lower-right", (1, 0))],
)
def test_pad_at_the_side_away_from_the_alignment(align, pad_x):
    cube = make_cube(height=6, width=5)  # 6 rows fit windows of 3; 5 columns need one more for windows of 2
    out = window(cube, [2, 3], align=align)
    expected = blocks(cube.values, 2, 3, {"y": (0, 0), "x": pad_x})
    assert out.dims == cube.dims and out.shape == (4, 3, 2, 3)
    np.testing.assert_allclose(out.values, expected, rtol=1e-6, equal_nan=True)
    # block centres: the mean of the (extended) pixel centres of each block
    first = cube["x"].values[0] - PIXEL * pad_x[0]
    np.testing.assert_allclose(out["x"].values, first + PIXEL / 2 + 2 * PIXEL * np.arange(3))
    np.testing.assert_allclose(out["y"].values, cube["y"].values.reshape(2, 3).mean(axis=1))
    assert out.rio.resolution() == (2 * PIXEL, -3 * PIXEL)
    assert out.rio.crs == cube.rio.crs


def test_trim_lower_left_drops_the_top_rows_and_right_columns():
    cube = make_cube(height=7, width=5)
    out = window(cube, [2, 2], reducer="max", boundary="trim", align="lower-left")
    kept = cube.values[:, :, 1:7, 0:4]  # the top row and the right column go
    expected = kept.reshape(4, 3, 3, 2, 2, 2).swapaxes(3, 4).reshape(4, 3, 3, 2, 4)
    with np.errstate(all="ignore"):
        expected = np.nanmax(np.where(np.isnan(expected), -np.inf, expected), axis=-1)
    expected[np.isinf(expected)] = np.nan
    assert out.shape == (4, 3, 3, 2)
    np.testing.assert_allclose(out.values, expected, rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(out["y"].values, cube["y"].values[1:7].reshape(3, 2).mean(axis=1))


def test_pad_lower_right_pads_the_top_and_left():
    cube = make_cube(height=7, width=5)
    out = window(cube, [3, 3], boundary="pad", align="lower-right")
    # aligned to the lower right: the missing rows go on top, the missing column on the left
    expected = blocks(cube.values, 3, 3, {"y": (2, 0), "x": (1, 0)})
    assert out.shape == (4, 3, 3, 2)
    np.testing.assert_allclose(out.values, expected, rtol=1e-6, equal_nan=True)


def test_bad_sizes_are_parameter_errors():
    cube = make_cube(height=4, width=4)
    for size in ([0, 2], [2], [2.5, 2], "2"):
        with pytest.raises(ApiError) as error:
            window(cube, size)
        assert error.value.code == "ProcessParameterInvalid"
    with pytest.raises(ApiError) as error:
        window(cube, [5, 1], boundary="trim")
    assert error.value.code == "ProcessParameterInvalid" and error.value.status == 400


def test_attributes_and_crs_carry_over_once_the_blocks_are_reduced():
    cube = make_cube(height=7, width=5)
    cube.attrs.update(long_name="reflectance", units="1")
    for boundary in ("pad", "trim"):
        out = window(cube, [2, 3], boundary=boundary)
        assert out.attrs["long_name"] == "reflectance" and out.attrs["units"] == "1"
        assert "spatial_ref" in out.coords and out.rio.crs == cube.rio.crs
