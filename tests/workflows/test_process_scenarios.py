"""The process scenarios of issue #5 as users write them with the real ``openeo`` client: zonal statistics
of fields, a smoothing kernel, monthly anomalies against a climatological normal, and (a proposal) block
statistics with aggregate_spatial_window.

Expected values are computed here with numpy (and shapely for which pixel centres lie in a field) from the
stored integers of the synthetic collection, independently of the reader and the engine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from openeo.rest.datacube import THIS

from openeo_gip.demodata import synthetic
from tests.conftest import make_config
from tests.support.results import all_nan_is_fine, read_netcdf, source

# Three years of January and February scenes: enough for a monthly climatological normal.
DATES = [
    dt.date(2021, 1, 10),
    dt.date(2021, 2, 10),
    dt.date(2022, 1, 10),
    dt.date(2022, 1, 25),
    dt.date(2022, 2, 10),
    dt.date(2023, 1, 10),
    dt.date(2023, 2, 15),
]
SIZE = 32
DASK_SETTINGS = {"n_workers": 1, "threads_per_worker": 2, "memory_limit": "6GiB"}


@pytest.fixture
def s2(tmp_path) -> synthetic.Sentinel2Demo:
    return synthetic.write_sentinel2_demo(tmp_path / "data" / "S2", size=SIZE, dates=DATES, blocksize=16)


@pytest.fixture
def config(tmp_path, db_url, s2):
    return make_config(tmp_path, db_url, dask=DASK_SETTINGS, jobs={"runner_threads": 0})


def ndvi_source(demo: synthetic.Sentinel2Demo) -> np.ndarray:
    red, nir = source(demo, "B04"), source(demo, "B08")
    return (nir - red) / (nir + red)


# ---- (a) zonal statistics of fields -------------------------------------------------------------------

# Fields drawn on the collection's grid (UTM 31N, metres from the upper-left corner); vertices lie
# between pixel centres, so no centre is on an edge even after the round trip through WGS 84.
FIELDS_IN_GRID = {
    "north_field": [(22.5, 23.1), (151.7, 23.1), (151.7, 97.3), (22.5, 97.3)],
    "triangle": [(182.2, 41.6), (297.4, 58.9), (201.3, 268.8)],
    "l_shape": [(32.6, 152.4), (123.3, 152.4), (123.3, 222.2), (82.8, 222.2), (82.8, 291.9), (32.6, 291.9)],
}


def fields_in_utm() -> dict[str, shapely.Polygon]:
    west, north = synthetic.S2_ORIGIN
    return {
        name: shapely.Polygon([(west + dx, north - dy) for dx, dy in corners])
        for name, corners in FIELDS_IN_GRID.items()
    }


def fields_geojson() -> dict:
    """The fields as a GeoJSON FeatureCollection in WGS 84, as a user would draw them on a map."""
    to_wgs84 = pyproj.Transformer.from_crs(synthetic.S2_CRS, "EPSG:4326", always_xy=True)
    features = []
    for name, polygon in fields_in_utm().items():
        lon, lat = to_wgs84.transform(*np.array(polygon.exterior.coords).T)
        ring = [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]
        geometry = {"type": "Polygon", "coordinates": [ring]}
        features.append({"type": "Feature", "properties": {"name": name}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def expected_field_means(demo: synthetic.Sentinel2Demo) -> dict[str, np.ndarray]:
    """Mean NDVI per date over the pixels whose centre lies inside each field (no-data ignored)."""
    west, north = synthetic.S2_ORIGIN
    centres_x = west + 5 + 10 * np.arange(SIZE)
    centres_y = north - 5 - 10 * np.arange(SIZE)
    xx, yy = np.meshgrid(centres_x, centres_y)
    ndvi = ndvi_source(demo)
    means = {}
    for name, polygon in fields_in_utm().items():
        inside = shapely.contains_xy(polygon, xx, yy)
        assert inside.sum() >= 20, "each field should cover a few dozen pixels"
        with all_nan_is_fine():
            means[name] = np.nanmean(ndvi[:, inside], axis=1)
    return means


def test_zonal_mean_ndvi_per_field_as_csv_and_geojson(connection, s2):
    cube = connection.load_collection("S2", bands=["B04", "B08"])
    zonal = cube.ndvi(nir="B08", red="B04").aggregate_spatial(geometries=fields_geojson(), reducer="mean")
    expected = expected_field_means(s2)
    labels = [f"{d:%Y-%m-%d}T00:00:00Z" for d in DATES]

    rows = list(csv.DictReader(io.StringIO(zonal.download(format="CSV").decode("utf-8"))))
    assert len(rows) == len(FIELDS_IN_GRID) * len(DATES)
    for name, means in expected.items():
        mine = [row for row in rows if row["name"] == name]
        assert [row["t"] for row in mine] == labels
        actual = np.array([float(row["value"]) if row["value"] else np.nan for row in mine])
        np.testing.assert_allclose(actual, means, rtol=1e-5, equal_nan=True)

    document = json.loads(zonal.download(format="GeoJSON"))
    assert document["type"] == "FeatureCollection"
    by_name = {feature["properties"]["name"]: feature for feature in document["features"]}
    assert sorted(by_name) == sorted(FIELDS_IN_GRID)
    for name, means in expected.items():
        properties = by_name[name]["properties"]
        actual = np.array([np.nan if properties[label] is None else properties[label] for label in labels])
        np.testing.assert_allclose(actual, means, rtol=1e-5, equal_nan=True)
        # the geometry comes back in WGS 84 where it was given
        returned = shapely.geometry.shape(by_name[name]["geometry"])
        given = shapely.geometry.shape(
            next(f for f in fields_geojson()["features"] if f["properties"]["name"] == name)["geometry"]
        )
        assert returned.equals_exact(given, 1e-9)


# ---- (b) a 3x3 smoothing kernel -----------------------------------------------------------------------


def convolve_numpy(image: np.ndarray, kernel: np.ndarray, pad_mode: str, **pad) -> np.ndarray:
    """A 2-D convolution (kernel flipped) of ``image`` padded by one pixel, written out explicitly."""
    padded = np.pad(image, 1, mode=pad_mode, **pad)
    flipped = kernel[::-1, ::-1]
    out = np.zeros_like(image)
    for i in range(3):
        for j in range(3):
            out += flipped[i, j] * padded[i : i + image.shape[0], j : j + image.shape[1]]
    return out


def test_apply_kernel_smoothing_and_an_edge_filter(connection, s2):
    smooth = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float)
    cube = connection.load_collection("S2", bands=["B08"], temporal_extent=["2021-01-01", "2021-03-01"])
    smoothed = cube.apply_kernel(kernel=smooth.tolist(), factor=1 / 16)  # border 0, no-data as 0
    dataset = read_netcdf(smoothed.download(format="netCDF"))
    nir = np.nan_to_num(source(s2, "B08")[:2], nan=0.0)
    actual = dataset["B08"].transpose("t", "y", "x").values
    for i in range(2):
        expected = convolve_numpy(nir[i], smooth / 16, "constant", constant_values=0)
        np.testing.assert_allclose(actual[i], expected, rtol=1e-5, atol=1e-3)

    # An asymmetric kernel shows the orientation (convolution, not correlation) and the replicated border.
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    edges = cube.apply_kernel(kernel=sobel.tolist(), border="replicate", replace_invalid=0)
    actual = read_netcdf(edges.download(format="netCDF"))["B08"].transpose("t", "y", "x").values
    for i in range(2):
        expected = convolve_numpy(nir[i], sobel, "edge")
        np.testing.assert_allclose(actual[i], expected, rtol=1e-5, atol=1e-3)
    assert np.abs(actual).max() > 0


# ---- (c) anomalies against a monthly climatological normal ---------------------------------------------


def test_monthly_anomaly_against_a_climatological_normal(connection, s2):
    """The normal of each month is the mean of all its scenes of 2021-2023; the anomaly of a monthly mean
    is its difference to the normal of its month (January 2022 has two scenes, so the two differ)."""
    cube = connection.load_collection("S2", bands=["B08"])
    normals = cube.process(
        "climatological_normal", data=THIS, period="month", climatology_period=[2021, 2023]
    )
    monthly = cube.aggregate_temporal_period(period="month", reducer="mean")
    anomalies = monthly.process("anomaly", data=THIS, normals=normals, period="month")
    dataset = read_netcdf(anomalies.download(format="netCDF"))

    nir = source(s2, "B08")
    # Every month from the first to the last scene has a label; months without scenes are no-data.
    months = [(2021 + i // 12, i % 12 + 1) for i in range(26)]
    empty = np.full((SIZE, SIZE), np.nan)
    with all_nan_is_fine():
        normal = {
            m: np.nanmean(nir[[i for i, d in enumerate(DATES) if d.month == m]], axis=0) for m in (1, 2)
        }
        expected = []
        for year, month in months:
            scenes = [i for i, d in enumerate(DATES) if (d.year, d.month) == (year, month)]
            expected.append(np.nanmean(nir[scenes], axis=0) - normal[month] if scenes else empty)

    labels = dataset["t"].values.astype("datetime64[D]")
    assert list(labels) == [np.datetime64(f"{y}-{m:02d}-01") for y, m in months]
    actual = dataset["B08"].transpose("t", "y", "x").values
    with_scenes = [k for k, (y, m) in enumerate(months) if any((d.year, d.month) == (y, m) for d in DATES)]
    assert len(with_scenes) == 6 and np.isfinite(actual[with_scenes]).mean() > 0.9
    np.testing.assert_allclose(actual, np.stack(expected), rtol=1e-5, atol=1e-3, equal_nan=True)


# ---- aggregate_spatial_window (proposal) ----------------------------------------------------------------


def test_aggregate_spatial_window_coarsens_the_grid_of_a_geotiff(connection, s2):
    cube = connection.load_collection("S2", bands=["B08"], temporal_extent=["2021-01-01", "2021-01-31"])
    coarse = cube.process(
        "aggregate_spatial_window",
        data=THIS,
        reducer={
            "process_graph": {
                "m": {"process_id": "max", "arguments": {"data": {"from_parameter": "data"}}, "result": True}
            }
        },
        size=[5, 5],
        boundary="trim",
    )
    with rasterio.MemoryFile(coarse.download(format="GTiff")) as memory, memory.open() as tif:
        actual = tif.read(1, masked=True).astype(float).filled(np.nan)
        transform, crs = tif.transform, tif.crs
    nir = source(s2, "B08")[0][:30, :30]  # 32 pixels: the last two rows and columns are trimmed
    with all_nan_is_fine():
        expected = np.nanmax(nir.reshape(6, 5, 6, 5).swapaxes(1, 2).reshape(6, 6, 25), axis=-1)
    np.testing.assert_allclose(actual, expected, equal_nan=True)
    west, north = synthetic.S2_ORIGIN
    assert (transform.a, transform.e, transform.c, transform.f) == (50.0, -50.0, west, north)
    assert crs.to_epsg() == 32631
