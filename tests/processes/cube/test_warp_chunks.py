"""resample_spatial and resample_cube_spatial warp chunk by chunk: no task builds a block as large as the
extent (issue #15: a whole-extent slab needed 39 GiB), and the values do not depend on the chunking."""

from __future__ import annotations

import dask
import numpy as np
import pytest
import rasterio.warp
from dask.callbacks import Callback
from rasterio.enums import Resampling

from openeo_gip.processes.cube import warp
from openeo_gip.processes.cube.resample import resample_spatial
from openeo_gip.processes.cube.resample_cube import resample_cube_spatial
from tests.support.cube_builders import make_cube

EDGE = 32  # output chunk edge for these tests; the cubes are 128 px wide


class _LargestResult(Callback):
    """Records the size of the largest chunk any task of a computation returned (array chunks have tuple
    keys; the final joining of all chunks into the answer is not one)."""

    def __init__(self) -> None:
        super().__init__()
        self.nbytes = 0

    def _posttask(self, key, result, dsk, state, id):
        if isinstance(key, tuple):
            self.nbytes = max(self.nbytes, getattr(result, "nbytes", 0))


def _largest_block(array) -> tuple[np.ndarray, int]:
    with dask.config.set(scheduler="synchronous"), _LargestResult() as largest:
        values = array.values
    return values, largest.nbytes


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(warp, "CHUNK_EDGE", EDGE)


def _cube(nan_fraction: float = 0.02):
    cube = make_cube(height=128, width=128, bands=("B04",), nan_fraction=nan_fraction).load()
    return cube.chunk({"t": 1, "bands": 1, "y": EDGE, "x": EDGE})


def test_resample_spatial_never_holds_the_whole_extent(small_chunks):
    cube = _cube()
    out = resample_spatial(cube, projection=3857, method="bilinear")
    assert max(out.data.chunks[-1]) <= EDGE and max(out.data.chunks[-2]) <= EDGE
    _, largest = _largest_block(out)
    one_date_extent = out.sizes["y"] * out.sizes["x"] * 4
    # Before: every date was warped as one (y, x) slab of the whole extent.
    assert largest <= EDGE * EDGE * 4 < one_date_extent / 8


def test_resample_cube_spatial_never_holds_the_whole_extent(small_chunks):
    cube = _cube()
    target = make_cube(height=64, width=64, bands=("B01",), times=("2020-01-01",))
    target = target.assign_coords(x=cube["x"].values[::2] + 5, y=cube["y"].values[::2] - 5)
    out = resample_cube_spatial(cube, target, method="average")
    values, largest = _largest_block(out)
    assert largest <= EDGE * EDGE * 4 < cube.sizes["y"] * cube.sizes["x"] * 4 / 8
    block_means = cube.values.reshape(4, 1, 64, 2, 64, 2)
    np.testing.assert_allclose(values, np.nanmean(block_means, axis=(3, 5)), rtol=1e-5)


@pytest.mark.parametrize(
    ("projection", "method", "tolerance"),
    [(3857, "near", 0), (3035, "bilinear", 0.5), (3035, "cubic", 0.5)],
)
def test_a_reprojection_equals_one_whole_warp(small_chunks, projection, method, tolerance):
    """The values of the former implementation: each date warped whole by GDAL (which sizes the kernel
    from the whole grid; 3035 is rotated against UTM 31N by a few degrees, not scaled). Without holes:
    GDAL treats holes near a kernel differently in windows with and without any."""
    cube = _cube(nan_fraction=0)
    out = resample_spatial(cube, projection=projection, method=method)
    expected = np.full((4, 1, out.sizes["y"], out.sizes["x"]), np.nan, dtype=np.float32)
    rasterio.warp.reproject(
        cube.values.reshape(4, 128, 128),
        expected.reshape(4, out.sizes["y"], out.sizes["x"]),
        src_transform=cube.rio.transform(recalc=True),
        src_crs=cube.rio.crs,
        src_nodata=np.nan,
        dst_transform=out.rio.transform(),
        dst_crs=out.rio.crs,
        dst_nodata=np.nan,
        resampling=Resampling[{"near": "nearest"}.get(method, method)],
    )
    assert len(out.data.chunks[-1]) > 1
    np.testing.assert_array_equal(np.isnan(out.values), np.isnan(expected))
    np.testing.assert_allclose(out.values, expected, rtol=0, atol=tolerance)


@pytest.mark.parametrize("method", ["near", "bilinear", "cubic", "average", "mode"])
@pytest.mark.parametrize(("projection", "resolution"), [(None, 25), (3035, 30)])
def test_values_do_not_depend_on_the_chunking(monkeypatch, method, projection, resolution):
    cube = _cube()
    monkeypatch.setattr(warp, "CHUNK_EDGE", 10**6)
    whole = resample_spatial(cube, resolution=resolution, projection=projection, method=method)
    assert len(whole.data.chunks[-1]) == 1
    monkeypatch.setattr(warp, "CHUNK_EDGE", 16)
    chunked = resample_spatial(cube, resolution=resolution, projection=projection, method=method)
    assert len(chunked.data.chunks[-1]) > 2
    np.testing.assert_array_equal(np.isnan(chunked.values), np.isnan(whole.values))
    # GDAL maps pixels a little differently per chunk (about 3e-5 of the value range here).
    np.testing.assert_allclose(chunked.values, whole.values, rtol=0, atol=0.1)
