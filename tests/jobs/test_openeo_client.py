"""The official openEO Python client runs batch jobs end to end: values checked against the source arrays."""

from __future__ import annotations

import numpy as np
import openeo
import rasterio
import xarray as xr

from tests.conftest import PASSWORD


def _masked(array: np.ndarray) -> np.ndarray:
    values = array.astype("float64")
    values[array == 0] = np.nan  # nodata of the source
    return values


def test_multi_date_gtiff_job(server, alice, s2, tmp_path):
    connection = openeo.connect(server.url).authenticate_basic("alice", PASSWORD)
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    ndvi = (cube.band("B08") - cube.band("B04")) / (cube.band("B08") + cube.band("B04"))
    job = ndvi.save_result(format="GTiff").create_job(title="ndvi per date")
    job.start_and_wait(max_poll_interval=0.5)
    assert job.status() == "finished"
    files = sorted(job.get_results().download_files(tmp_path / "out"), key=lambda p: p.name)
    tifs = [path for path in files if path.suffix == ".tif"]
    assert len(tifs) == len(s2.dates)
    for index, path in enumerate(tifs):
        red, nir = _masked(s2.array("B04", index)), _masked(s2.array("B08", index))
        expected = (nir - red) / (nir + red)
        with rasterio.open(path) as tif:
            values = tif.read(1)
        np.testing.assert_allclose(values, expected, rtol=1e-6, equal_nan=True)


def test_netcdf_job_with_temporal_mean(server, alice, s2, tmp_path):
    connection = openeo.connect(server.url).authenticate_basic("alice", PASSWORD)
    cube = connection.load_collection("S2", bands=["B08"]).reduce_dimension(dimension="t", reducer="mean")
    job = cube.save_result(format="netCDF").create_job()
    job.start_and_wait(max_poll_interval=0.5)
    (path,) = [p for p in job.get_results().download_files(tmp_path / "nc") if p.suffix == ".nc"]
    stack = np.stack([_masked(s2.array("B08", i)) for i in range(len(s2.dates))])
    with xr.open_dataset(path) as dataset:
        values = dataset["B08"].values
    np.testing.assert_allclose(values, np.nanmean(stack, axis=0), rtol=1e-6, equal_nan=True)
    logs = job.logs()
    assert logs[-1]["message"].startswith("Finished")
