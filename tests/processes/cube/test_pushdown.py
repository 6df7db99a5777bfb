"""Filters after load_collection narrow the read itself: only the files of the dates and bands kept are
opened, and only the pixel windows that intersect the bounding box are read."""

from __future__ import annotations

import datetime as dt
import types

import dask
import numpy as np
import pytest
import rasterio

from openeo_gip.demodata import synthetic
from openeo_gip.engine.execute import run_process
from openeo_gip.model.values import ProcessContext
from openeo_gip.workspace import files_folder
from tests.conftest import make_config
from tests.support.catalogs import scan
from tests.support.processes import PREDEFINED

# Two dates in March 2023, the others spread over the year.
DATES = [dt.date(2023, m, d) for m, d in ((1, 10), (3, 3), (3, 20), (6, 1), (9, 15), (12, 1))]


@pytest.fixture
def s2(tmp_path) -> synthetic.Sentinel2Demo:
    return synthetic.write_sentinel2_demo(tmp_path / "data" / "S2", size=256, dates=DATES, blocksize=64)


@pytest.fixture
def context(tmp_path, s2) -> ProcessContext:
    catalog = scan(tmp_path / "data", tmp_path / "system")
    return ProcessContext(services=types.SimpleNamespace(catalog=catalog))


@pytest.fixture
def opened(monkeypatch) -> list[tuple[str, tuple]]:
    """(file, window) of every raster read from now on; ``(file, None)`` when a file is only opened."""
    events: list[tuple[str, tuple]] = []
    original_open = rasterio.open

    def counting_open(path, *args, **kwargs):
        dataset = original_open(path, *args, **kwargs)
        events.append((str(path), None))
        original_read = dataset.read

        def counting_read(*read_args, window=None, **read_kwargs):
            box = None if window is None else (window.row_off, window.col_off, window.height, window.width)
            events.append((str(path), box))
            return original_read(*read_args, window=window, **read_kwargs)

        dataset.read = counting_read
        return dataset

    monkeypatch.setattr(rasterio, "open", counting_open)
    return events


def _node(process_id: str, data: str | None = None, **arguments) -> dict:
    if data is not None:
        arguments["data"] = {"from_node": data}
    return {"process_id": process_id, "arguments": arguments}


def _expected(s2, band: str, index: int) -> np.ndarray:
    stored = s2.array(band, index)
    values = stored.astype(np.float32)
    values[stored == 0] = np.nan
    return values


def _small_bbox(s2, row: int, col: int, rows: int, cols: int) -> dict:
    """A box whose pixel centres are exactly rows ``row:row+rows`` and columns ``col:col+cols``."""
    west, north = s2.transform @ (col, row)
    return {"west": west, "east": west + 10 * cols, "north": north, "south": north - 10 * rows, "crs": 32631}


def test_filters_after_load_collection_open_only_the_files_and_windows_they_keep(s2, context, opened):
    nodes = {
        "load": _node("load_collection", id="S2", spatial_extent=None, temporal_extent=None),
        "month": _node("filter_temporal", "load", extent=["2023-03-01", "2023-04-01"]),
        "red": _node("filter_bands", "month", bands=["B04"]),
        "box": _node("filter_bbox", "red", extent=_small_bbox(s2, 70, 100, 6, 9)),
    }
    nodes["box"]["result"] = True
    cube = run_process({"process_graph": nodes}, context, processes=PREDEFINED)
    assert opened == []  # nothing is read before the values are asked for
    values = cube.values

    march = [s2.path("B04", 1), s2.path("B04", 2)]
    assert sorted({path for path, _ in opened}) == sorted(str(path) for path in march)
    assert sorted(box for _, box in opened if box) == [(70, 100, 6, 9)] * 2  # the window, not its tiles
    assert cube.shape == (2, 1, 6, 9)
    assert list(cube["t"].values) == [np.datetime64(day, "ns") for day in DATES[1:3]]
    for position, index in enumerate((1, 2)):
        expected = _expected(s2, "B04", index)[70:76, 100:109]
        assert np.array_equal(values[position, 0], expected, equal_nan=True)


def test_a_load_used_by_two_branches_keeps_both_right(s2, context, opened):
    """One branch filters, the other computes on the whole cube: the filter narrows only its own read."""
    nodes = {
        "load": _node("load_collection", id="S2", spatial_extent=None, temporal_extent=None, bands=["B08"]),
        "box": _node("filter_bbox", "load", extent=_small_bbox(s2, 0, 0, 4, 4)),
        "half": _node(
            "apply",
            "load",
            process={
                "process_graph": {
                    "div": {
                        "process_id": "divide",
                        "arguments": {"x": {"from_parameter": "x"}, "y": 2},
                        "result": True,
                    }
                }
            },
        ),
        "half_box": _node("filter_bbox", "half", extent=_small_bbox(s2, 0, 0, 4, 4)),
        "sum": {
            "process_id": "merge_cubes",
            "arguments": {
                "cube1": {"from_node": "box"},
                "cube2": {"from_node": "half_box"},
                "overlap_resolver": {
                    "process_graph": {
                        "add": {
                            "process_id": "add",
                            "arguments": {"x": {"from_parameter": "x"}, "y": {"from_parameter": "y"}},
                            "result": True,
                        }
                    }
                },
            },
        },
    }
    nodes["sum"]["result"] = True
    values = run_process({"process_graph": nodes}, context, processes=PREDEFINED).values
    assert values.shape == (len(DATES), 1, 4, 4)
    for index in range(len(DATES)):
        expected = _expected(s2, "B08", index)[:4, :4] * 1.5
        assert np.allclose(values[index, 0], expected, equal_nan=True)
    # The narrowed branch read 4 x 4 windows; the divided branch read its whole chunk (a slice after a
    # computation is dask's business): both only of B08.
    assert {path for path, _ in opened} == {str(s2.path("B08", index)) for index in range(len(DATES))}
    assert (0, 0, 4, 4) in {box for _, box in opened}


def test_filter_spatial_reads_only_the_window_of_its_polygon(s2, context, opened):
    # A triangle in rows 10..20 and columns 30..50 (UTM 31N, the collection's CRS), as lon/lat GeoJSON.
    from rasterio.warp import transform as transform_points

    corners = [s2.transform @ (col, row) for col, row in ((30, 20), (50, 20), (30, 10), (30, 20))]
    lon, lat = transform_points("EPSG:32631", "EPSG:4326", *zip(*corners, strict=True))
    polygon = {"type": "Polygon", "coordinates": [list(zip(lon, lat, strict=True))]}
    nodes = {
        "load": _node("load_collection", id="S2", spatial_extent=None, temporal_extent=None, bands=["B02"]),
        "cut": _node("filter_spatial", "load", geometries=polygon),
    }
    nodes["cut"]["result"] = True
    cube = run_process({"process_graph": nodes}, context, processes=PREDEFINED)
    values = cube.values
    boxes = {box for _, box in opened if box}
    assert len(boxes) == 1  # one window, the same for every date
    row, col, height, width = boxes.pop()
    assert (height, width) == cube.shape[2:] and height <= 12 and width <= 22
    assert 9 <= row <= 11 and 29 <= col <= 31
    expected = _expected(s2, "B02", 0)[row : row + height, col : col + width]
    inside = ~np.isnan(values[0, 0])
    assert inside.sum() > 50 and np.isnan(values[0, 0]).sum() > 50  # a triangle: some in, some out
    assert np.array_equal(values[0, 0][inside], expected[inside])


def test_ndvi_right_after_load_collection_reads_each_band_as_its_own_array(s2, context):
    """No slicing task per chunk between the reads and the band maths: after Dask's optimisation the
    NDVI of a raw read is one fused task per chunk (here all six dates of the small cube share one)."""
    nodes = {
        "load": _node("load_collection", id="S2", spatial_extent=None, temporal_extent=None),
        "index": _node("ndvi", "load", nir="B08", red="B04"),
    }
    nodes["index"]["result"] = True
    cube = run_process({"process_graph": nodes}, context, processes=PREDEFINED)
    (optimised,) = dask.optimize(cube.data)
    assert len(dict(optimised.__dask_graph__())) == cube.data.npartitions == 1
    red, nir = (np.stack([_expected(s2, band, i) for i in range(len(DATES))]) for band in ("B04", "B08"))
    np.testing.assert_allclose(cube.values, (nir - red) / (nir + red), rtol=1e-6, equal_nan=True)


def test_ndvi_with_a_target_band_reads_each_file_once(s2, context, opened):
    """The cube is kept whole beside the index, so the index takes its bands from it: no second read."""
    nodes = {
        "load": _node("load_collection", id="S2", spatial_extent=None, temporal_extent=None),
        "first": _node("filter_temporal", "load", extent=["2023-01-01", "2023-01-11"]),
        "index": _node("ndvi", "first", nir="B08", red="B04", target_band="NDVI"),
    }
    nodes["index"]["result"] = True
    cube = run_process({"process_graph": nodes}, context, processes=PREDEFINED)
    values = cube.values
    read = [path for path, box in opened if box is not None]
    assert sorted(read) == sorted(str(s2.path(band, 0)) for band in s2.bands)  # once each
    red, nir = _expected(s2, "B04", 0), _expected(s2, "B08", 0)
    np.testing.assert_allclose(values[0, -1], (nir - red) / (nir + red), rtol=1e-6, equal_nan=True)


def test_filter_labels_keeps_the_read_narrowable_by_later_filters(s2, context, opened):
    """After filter_labels the cube is still a raw read, so a later filter_bbox reads just its window."""
    keep_early_march = {
        "in": {
            "process_id": "date_between",
            "arguments": {"x": {"from_parameter": "value"}, "min": "2023-03-01", "max": "2023-03-10"},
            "result": True,
        }
    }
    nodes = {
        "load": _node("load_collection", id="S2", spatial_extent=None, temporal_extent=None),
        "red": _node("filter_bands", "load", bands=["B04"]),
        "dates": _node("filter_labels", "red", dimension="t", condition={"process_graph": keep_early_march}),
        "box": _node("filter_bbox", "dates", extent=_small_bbox(s2, 70, 100, 6, 9)),
    }
    nodes["box"]["result"] = True
    values = run_process({"process_graph": nodes}, context, processes=PREDEFINED).values
    assert {path for path, _ in opened} == {str(s2.path("B04", 1))}
    assert [box for _, box in opened if box] == [(70, 100, 6, 9)]  # the window, not its tiles
    assert np.array_equal(values[0, 0], _expected(s2, "B04", 1)[70:76, 100:109], equal_nan=True)


def test_filters_after_load_uploaded_files_narrow_its_read_too(tmp_path, opened):
    """Every load process hands its reads to the filters that follow, not only load_collection."""
    config = make_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    dem = synthetic.write_dem(files_folder(config, "u1") / "dem.tif", size=256)
    context = ProcessContext(
        services=types.SimpleNamespace(config=config, db=None), user=types.SimpleNamespace(id="u1")
    )
    west, north = dem.transform @ (100, 70)
    box = {"west": west, "east": west + 30 * 9, "north": north, "south": north - 30 * 6, "crs": 32631}
    nodes = {
        "load": _node("load_uploaded_files", paths=["dem.tif"], format="GTiff"),
        "box": _node("filter_bbox", "load", extent=box),
    }
    nodes["box"]["result"] = True
    values = run_process({"process_graph": nodes}, context, processes=PREDEFINED).values
    assert [window for _, window in opened if window] == [(70, 100, 6, 9)]  # the window, not its tile
    np.testing.assert_array_equal(values.reshape(6, 9), dem.elevation[70:76, 100:109])
