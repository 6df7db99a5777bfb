"""Computing on the cluster, watched: a deadline, a cancel request and a failing task each stop it."""

from __future__ import annotations

import time

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView
from openeo_gip.results.compute import Canceled, Deadline, computed


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
