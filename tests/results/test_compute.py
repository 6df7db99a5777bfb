"""Computing on the cluster, watched: a deadline, a cancel request and a failing task each stop it."""

from __future__ import annotations

import gc
import time

import dask.array as da
import numpy as np
import pytest
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView, SaveRequest
from openeo_gip.results.compute import Canceled, Deadline, computed
from openeo_gip.results.pipeline import write_results


def _slow(block: np.ndarray, seconds: float) -> np.ndarray:
    time.sleep(seconds)
    return block + 1


def _slow_cube(seconds: float) -> xr.DataArray:
    data = da.zeros((4, 8), chunks=(1, 8)).map_blocks(_slow, seconds, meta=np.array((), dtype=float))
    return xr.DataArray(data, dims=("t", "x"))


def _quiet(dask_client) -> None:
    """Nothing of an earlier test still runs on the (shared) cluster."""
    deadline = time.monotonic() + 10
    while dask_client.processing() and any(dask_client.processing().values()):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_value_is_computed_and_an_array_view_keeps_its_dimension(dask_client):
    fractions: list[float] = []
    view = computed(ArrayView(_slow_cube(0.0), "t"), dask_client, on_progress=fractions.append)
    assert isinstance(view, ArrayView) and view.dim == "t"
    np.testing.assert_array_equal(view.data.values, np.ones((4, 8)))
    assert fractions[-1] == 1.0


def test_plain_values_are_returned_as_they_are(dask_client):
    assert computed(42, dask_client) == 42


def test_past_the_deadline_the_tasks_are_canceled(dask_client):
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        computed(_slow_cube(2.0), dask_client, deadline=Deadline(0.5))
    assert caught.value.code == "RequestTimeout" and "0.5 seconds" in caught.value.message
    assert time.monotonic() - started < 1.9  # stopped, not waited for
    _quiet(dask_client)


def test_a_cancel_request_stops_the_computation(dask_client):
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) > 1  # the second look

    with pytest.raises(Canceled):
        computed(_slow_cube(2.0), dask_client, should_stop=should_stop)
    _quiet(dask_client)


def _fail(block: np.ndarray, error: Exception) -> np.ndarray:
    raise error


@pytest.mark.parametrize(
    ("error", "code"), [(ApiError("UdfError", reason="bad"), "UdfError"), (ZeroDivisionError(), "Internal")]
)
def test_a_failed_task_raises_before_anything_is_written(dask_client, error, code):
    data = da.zeros((2, 2), chunks=(1, 2)).map_blocks(_fail, error, meta=np.array((), dtype=float))
    with pytest.raises(ApiError) as caught:
        computed(xr.DataArray(data, dims=("y", "x")), dask_client)
    assert caught.value.code == code
    if code == "Internal":  # the cause's type and a reference, never the traceback
        assert "ZeroDivisionError" in caught.value.message and caught.value.id in caught.value.message


def test_a_written_result_leaves_nothing_on_the_cluster(dask_client, tmp_path):
    # The writers use xarray's .rio accessor, which makes a reference cycle: without an explicit release
    # the results stayed on the workers until Python's garbage collector ran (off here, to show it).
    lazy = da.random.random((2, 64, 64), chunks=32)
    cube = xr.DataArray(
        lazy,
        dims=("bands", "y", "x"),
        coords={"bands": ["a", "b"], "y": -np.arange(64.0), "x": np.arange(64.0)},
    ).rio.write_crs("EPSG:32631")
    gc.disable()
    try:
        written = write_results([SaveRequest(cube, "GTiff", {})], tmp_path, dask_client)
        assert [path.name for path in written.files] == ["result.tif"]
        deadline = time.monotonic() + 5
        while _held(dask_client, lazy.name) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _held(dask_client, lazy.name)
    finally:
        gc.enable()


def _held(dask_client, name: str) -> list:
    return [key for keys in dask_client.has_what().values() for key in keys if name in str(key)]
