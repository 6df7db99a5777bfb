"""apply_kernel against a plain numpy convolution, apply_neighborhood windows, resample_cube_spatial."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio.warp
import xarray as xr
from rasterio.enums import Resampling

from openeo_gip.errors import ApiError
from openeo_gip.model.values import Callback
from openeo_gip.processes.cube.neighborhood import apply_kernel, apply_neighborhood
from openeo_gip.processes.cube.resample_cube import resample_cube_spatial
from tests.support.cube_builders import make_cube

KERNEL = np.array([[1.0, 2.0, 0.0], [0.5, 4.0, 2.0], [1.0, -1.0, 1.0]])


def reference_convolution(values, kernel, mode, constant=0.0):
    """Direct definition: out[r, c] = sum kernel[i, j] * padded[r + h - i, c + w - j] (a convolution)."""
    h, w = kernel.shape[0] // 2, kernel.shape[1] // 2
    pad = [(0, 0)] * (values.ndim - 2) + [(h, h), (w, w)]
    padded = (
        np.pad(values, pad, mode="constant", constant_values=constant)
        if mode == "constant"
        else np.pad(values, pad, mode=mode)
    )
    out = np.zeros(values.shape)
    rows, cols = values.shape[-2:]
    for r in range(rows):
        for c in range(cols):
            for i in range(kernel.shape[0]):
                for j in range(kernel.shape[1]):
                    out[..., r, c] += kernel[i, j] * padded[..., r + 2 * h - i, c + 2 * w - j]
    return out


@pytest.mark.parametrize(
    ("border", "numpy_mode"),
    [
        (0, "constant"),
        (5, "constant"),
        ("replicate", "edge"),
        ("reflect", "symmetric"),
        ("reflect_pixel", "reflect"),
        ("wrap", "wrap"),
    ],
)
def test_apply_kernel_matches_a_direct_convolution_for_every_border(border, numpy_mode):
    cube = make_cube(height=7, width=8, nan_fraction=0.1)  # chunks of 3x3: the kernel crosses chunks
    out = apply_kernel(cube, KERNEL.tolist(), factor=0.5, border=border, replace_invalid=-1)
    values = np.where(np.isnan(cube.values), -1.0, cube.values)
    constant = border if isinstance(border, int) else 0
    expected = reference_convolution(values, KERNEL * 0.5, numpy_mode, constant)
    assert out.dims == cube.dims and out.rio.crs == cube.rio.crs
    np.testing.assert_allclose(out.values, expected, rtol=1e-9, atol=1e-6)


def test_apply_kernel_rejects_even_kernels_and_unknown_borders():
    with pytest.raises(ApiError) as error:
        apply_kernel(make_cube(), [[1, 2], [3, 4]])
    assert error.value.code == "KernelDimensionsUneven"
    with pytest.raises(ApiError) as error:
        apply_kernel(make_cube(), [[1]], border="mirror")
    assert error.value.code == "ProcessParameterInvalid"


def test_apply_neighborhood_windows_with_overlap_see_their_neighbours():
    cube = make_cube(height=7, width=8, nan_fraction=0.0)
    seen = []

    def window_mean_minus_centre(data, context=None):
        seen.append(dict(data.sizes))
        # Mean over the whole window (overlap included), broadcast back: depends on the neighbours.
        return data - data.mean(["x", "y"], skipna=True) + context

    size = [{"dimension": "x", "value": 4, "unit": "px"}, {"dimension": "y", "value": 4, "unit": "px"}]
    overlap = [{"dimension": "x", "value": 1, "unit": "px"}, {"dimension": "y", "value": 1, "unit": "px"}]
    out = apply_neighborhood(cube, Callback(window_mean_minus_centre), size, overlap, context=10)
    assert len(seen) == 4 and all(s["x"] == 6 and s["y"] == 6 for s in seen)
    assert out.dims == cube.dims and out.rio.crs == cube.rio.crs
    values = cube.values
    for row0 in (0, 4):
        for col0 in (0, 4):
            r_lo, r_hi = max(row0 - 1, 0), min(row0 + 5, 7)
            c_lo, c_hi = max(col0 - 1, 0), min(col0 + 5, 8)
            mean = np.nanmean(values[..., r_lo:r_hi, c_lo:c_hi], axis=(-2, -1))[..., None, None]
            core = (slice(None), slice(None), slice(row0, min(row0 + 4, 7)), slice(col0, min(col0 + 4, 8)))
            np.testing.assert_allclose(out.values[core], values[core] - mean + 10, atol=2e-3)
    np.testing.assert_array_equal(out["x"].values, cube["x"].values)


def test_apply_neighborhood_over_time_in_pixels_and_shape_check():
    cube = make_cube(nan_fraction=0.0)
    size = [{"dimension": "t", "value": 2, "unit": "px"}, {"dimension": "x", "value": 10, "unit": "m"}]
    out = apply_neighborhood(cube, Callback(lambda data, context=None: data.cumsum("t")), size)
    expected = np.concatenate([cube.values[:2].cumsum(0), cube.values[2:].cumsum(0)])
    np.testing.assert_allclose(out.values, expected, rtol=1e-5)
    with pytest.raises(ApiError) as error:
        apply_neighborhood(cube, Callback(lambda data, context=None: data.mean("t")), size)
    assert error.value.code == "DataCubePropertiesImmutable"


def test_resample_cube_spatial_onto_a_coarser_grid_matches_rasterio():
    cube = make_cube(height=8, width=8, nan_fraction=0.0)
    target = make_cube(height=4, width=4, bands=("B01",), times=("2020-01-01",))
    target = target.assign_coords(x=cube["x"].values[::2] + 5, y=cube["y"].values[::2] - 5)
    out = resample_cube_spatial(cube, target, method="average")
    assert out.dims == cube.dims and out.shape[-2:] == (4, 4)
    np.testing.assert_array_equal(out["x"].values, target["x"].values)
    expected = np.full((4, 3, 4, 4), np.nan, dtype=np.float32)
    rasterio.warp.reproject(
        cube.values.reshape(12, 8, 8),
        expected.reshape(12, 4, 4),
        src_transform=cube.rio.transform(recalc=True),
        src_crs=cube.rio.crs,
        dst_transform=target.rio.transform(recalc=True),
        dst_crs=target.rio.crs,
        resampling=Resampling.average,
    )
    block_means = cube.values.reshape(4, 3, 4, 2, 4, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(out.values, block_means, rtol=1e-5)
    np.testing.assert_allclose(out.values, expected, rtol=1e-5)
    assert isinstance(out, xr.DataArray) and out.rio.crs == target.rio.crs
