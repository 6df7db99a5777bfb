"""A job slow enough to watch: the temporal mean of two bands over 12 dates of 768 x 768 px, read in
chunks of ``CHUNK_PIXELS`` (``[dask] chunk_pixels``: 36 chunks per band, about a hundred Dask tasks, seconds
on one Dask thread), and its expected result computed with numpy."""

from __future__ import annotations

import numpy as np

from openeo_gip.demodata import synthetic
from tests.jobs.conftest import load_graph

DATES = 12
SIZE = 768
CHUNK_PIXELS = 128  # the files' tiles: the servers running the job read 6 x 6 chunks per band
BANDS = ("B04", "B08")


def write_many_dates(folder) -> synthetic.Sentinel2Demo:
    return synthetic.write_sentinel2_demo(folder, size=SIZE, dates=DATES, blocksize=CHUNK_PIXELS)


def mean_over_time_graph() -> dict:
    """load_collection(S2, B04 B08) -> reduce_dimension(t, mean) -> save_result(GTiff)."""
    graph = load_graph(bands=BANDS)
    nodes = graph["process_graph"]
    reducer = {
        "mean": {"process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": True}
    }
    nodes["mean"] = {
        "process_id": "reduce_dimension",
        "arguments": {"data": {"from_node": "load"}, "dimension": "t", "reducer": {"process_graph": reducer}},
    }
    nodes["save"]["arguments"]["data"] = {"from_node": "mean"}
    return graph


def expected_mean(s2: synthetic.Sentinel2Demo) -> np.ndarray:
    """(band, y, x) nan-mean over all dates, 0 being nodata."""
    result = []
    for band in BANDS:
        stack = np.stack([s2.array(band, index).astype("float64") for index in range(len(s2.dates))])
        stack[stack == 0] = np.nan
        result.append(np.nanmean(stack, axis=0))
    return np.array(result)
