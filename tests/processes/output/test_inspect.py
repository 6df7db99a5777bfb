"""What ``inspect`` writes as the data of a log entry: values when small and in memory, else the shape."""

from __future__ import annotations

import dask.array as da
import numpy as np
import xarray as xr

from openeo_gip.model.values import ArrayView
from openeo_gip.processes.arrays.elements import labeled
from openeo_gip.processes.output.inspect import SMALL, summarise
from tests.support.cube_builders import make_cube


def test_small_values_are_logged_as_they_are():
    assert summarise(3.5) == 3.5 and summarise("text") == "text" and summarise(None) is None
    assert summarise([1, None, float("nan"), float("inf")]) == [1, None, "nan", "inf"]
    view = summarise(labeled([1.5, 2.5], ["a", "b"]))
    assert view["values"] == [1.5, 2.5] and view["labels"] == {"labels": ["a", "b"]}


def test_long_lists_are_cut_to_their_first_values():
    summary = summarise(list(range(SMALL * 3)))
    assert summary == {"type": "array", "length": SMALL * 3, "first": list(range(SMALL))}


def test_cubes_and_lazy_arrays_are_described_without_computing():
    def explode(block):
        raise AssertionError("inspect computed the data")

    lazy = xr.DataArray(da.zeros(4, chunks=2).map_blocks(explode, dtype=float), dims=["t"])
    summary = summarise(ArrayView(lazy, "t"))
    assert summary["shape"] == [4] and "values" not in summary

    cube = make_cube()
    summary = summarise(cube)
    assert summary["type"] == "datacube" and summary["dimensions"] == ["t", "bands", "y", "x"]
    assert summary["shape"] == list(cube.shape) and summary["dtype"] == "float32"
    assert summary["labels"]["bands"] == ["B02", "B04", "B08"]
    assert summary["labels"]["t"][0] == "2021-01-05T00:00:00Z"
    assert summary["crs"].endswith("32631")


def test_only_dimensions_with_coordinates_have_their_labels_listed():
    cube = xr.DataArray(np.zeros((2, 3)), dims=("bands", "x"), coords={"bands": ["a", "b"]})
    summary = summarise(cube)
    assert summary["labels"] == {"bands": ["a", "b"]} and summary["shape"] == [2, 3]
