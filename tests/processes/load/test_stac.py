"""load_stac through the engine: a static STAC Collection written with pystac around synthetic COGs, read
from disk (inside the data root), over loopback HTTP, and from a small STAC API; values checked against
the stored integers of the synthetic scenes (``demo.array``), filters checked item by item."""

from __future__ import annotations

import datetime as dt
import json
import types

import numpy as np
import pyproj
import pytest

from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError
from openeo_gip.jobs.finished_results import FinishedResults
from openeo_gip.model.values import Callback, ProcessContext
from openeo_gip.processes.load.stac import load_stac
from openeo_gip.workspace import user_folder
from tests.conftest import LOOPBACK_ALLOWED, make_config
from tests.support.processes import PREDEFINED
from tests.support.stac_files import write_stac_collection
from tests.support.static_http import StaticServer

DATES = [dt.date(2023, 1, 5), dt.date(2023, 1, 20), dt.date(2023, 2, 4)]


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", remote=LOOPBACK_ALLOWED)


@pytest.fixture
def demo(config):
    return write_stac_collection(config.paths.data_root / "stac", DATES)


@pytest.fixture
def ctx(config):
    services = types.SimpleNamespace(
        config=config, db=None, catalog=None, job_results=FinishedResults(config, None)
    )
    return ProcessContext(services=services, user=types.SimpleNamespace(id="u1"))


@pytest.fixture
def served(config, demo):
    with StaticServer(config.paths.data_root) as server:
        yield server


def stored(demo, band: str, index: int) -> np.ndarray:
    values = demo.array(band, index).astype(np.float64)
    values[values == 0] = np.nan  # the COGs' nodata
    return values


def test_local_collection_in_the_data_root_with_bands_and_dates(config, demo, ctx):
    path = str(config.paths.data_root / "stac" / "collection.json")
    cube = load_stac(path, temporal_extent=["2023-01-20", "2023-02-04"], bands=["nir", "B04"], ctx=ctx)
    # Left-closed: 2023-02-04 is the end and excluded; the common name "nir" selects B08.
    assert [str(t)[:10] for t in cube["t"].values] == ["2023-01-20"]
    assert list(cube["bands"].values) == ["B08", "B04"]
    assert list(cube["common_name"].values) == ["nir", "red"]
    np.testing.assert_array_equal(cube.values[0, 0], stored(demo, "B08", 1))
    np.testing.assert_array_equal(cube.values[0, 1], stored(demo, "B04", 1))


def test_file_url_and_bbox_in_utm(config, demo, ctx):
    url = (config.paths.data_root / "stac" / "collection.json").as_uri()
    west, south, _, north = demo.bounds
    # Pixel centres from column 3 to 10 and from row 2 to 12 (10 m pixels).
    box = {"west": west + 30, "east": west + 105, "north": north - 20, "south": north - 125, "crs": 32631}
    cube = load_stac(url, spatial_extent=box, bands=["SCL"], ctx=ctx)
    assert cube.sizes == {"t": 3, "bands": 1, "y": 11, "x": 8}
    for index in range(3):
        np.testing.assert_array_equal(cube.values[index, 0], stored(demo, "SCL", index)[2:13, 3:11])
    assert cube["x"].values[0] == pytest.approx(west + 35)


def test_property_filter_on_cloud_cover_keeps_only_matching_items(config, demo, ctx):
    covers = [demo.cloud_cover(i) for i in range(3)]
    limit = sorted(covers)[1]  # keeps the two least cloudy dates
    test = Callback(lambda value: value <= limit)
    cube = load_stac(
        str(config.paths.data_root / "stac" / "collection.json"),
        bands=["B04"],
        properties={"eo:cloud_cover": test},
        ctx=ctx,
    )
    kept = [i for i in range(3) if covers[i] <= limit]
    assert len(kept) == 2
    assert [str(t)[:10] for t in cube["t"].values] == [str(DATES[i]) for i in kept]
    for position, index in enumerate(kept):
        np.testing.assert_array_equal(cube.values[position, 0], stored(demo, "B04", index))


def test_collection_over_http(served, demo, ctx):
    cube = load_stac(f"{served.url}/stac/collection.json", bands=["B08"], ctx=ctx)
    assert cube.sizes["t"] == 3 and cube.sizes["bands"] == 1
    for index in range(3):
        np.testing.assert_array_equal(cube.values[index, 0], stored(demo, "B08", index))


def test_single_item_over_http(served, demo, ctx):
    cube = load_stac(f"{served.url}/stac/s2-20230120/s2-20230120.json", ctx=ctx)
    assert list(cube["bands"].values) == ["B04", "B08", "SCL"]  # the thumbnail is no data
    np.testing.assert_array_equal(cube.values[0, 2], stored(demo, "SCL", 1))


def test_stac_api_is_searched_and_its_pages_followed(config, demo, ctx):
    folder = config.paths.data_root / "stac"
    to_lonlat = pyproj.Transformer.from_crs(32631, 4326, always_xy=True)
    west, south, east, north = to_lonlat.transform_bounds(*demo.bounds)
    box = {"west": west, "south": south, "east": east, "north": north}
    with StaticServer(folder, api=True) as api:
        cube = load_stac(
            f"{api.url}/api/collections/s2-test",
            spatial_extent=box,
            temporal_extent=["2023-01-01", "2023-02-01"],
            bands=["B04"],
            ctx=ctx,
        )
    assert [str(t)[:10] for t in cube["t"].values] == ["2023-01-05", "2023-01-20"]
    for index in range(2):
        np.testing.assert_array_equal(cube.values[index, 0], stored(demo, "B04", index))
    queries = (folder / "api-requests.log").read_text().splitlines()
    assert len(queries) == 2  # one item per page: the second page came from the next link
    assert "datetime=2023-01-01T00:00:00Z/2023-02-01T00:00:00Z" in queries[0]
    assert f"bbox={west!r},{south!r}" in queries[0] and "page=1" in queries[1]


def test_a_workspace_catalogue_is_readable_by_its_owner_only(config, ctx):
    folder = user_folder(config, "u1") / "files" / "mine"
    demo = write_stac_collection(folder, DATES[:1])
    cube = load_stac(str(folder / "collection.json"), bands=["B04"], ctx=ctx)
    np.testing.assert_array_equal(cube.values[0, 0], stored(demo, "B04", 0))
    # A relative path is one of the user's uploaded files, as /files lists them.
    relative = load_stac("mine/collection.json", bands=["B04"], ctx=ctx)
    np.testing.assert_array_equal(relative.values[0, 0], stored(demo, "B04", 0))
    stranger = ProcessContext(services=ctx.services, user=types.SimpleNamespace(id="u2"))
    with pytest.raises(ApiError) as caught:
        load_stac(str(folder / "collection.json"), ctx=stranger)
    assert caught.value.code == "ProcessParameterInvalid" and "outside" in caught.value.message
    with pytest.raises(ApiError) as caught:
        load_stac("../u1/files/mine/collection.json", ctx=stranger)
    assert caught.value.code == "FilePathInvalid" and caught.value.status == 400


def test_assets_outside_the_allowed_folders_are_refused(config, ctx, tmp_path):
    elsewhere = write_stac_collection(tmp_path / "elsewhere", DATES[:1])
    folder = user_folder(config, "u1") / "files" / "sneaky"
    folder.mkdir(parents=True)
    item = json.loads((tmp_path / "elsewhere" / "s2-20230105" / "s2-20230105.json").read_text())
    item["links"] = []
    item["assets"]["B04"]["href"] = str(elsewhere.path("B04", 0))  # absolute path outside
    (folder / "item.json").write_text(json.dumps(item))
    with pytest.raises(ApiError) as caught:
        load_stac(str(folder / "item.json"), bands=["B04"], ctx=ctx)
    assert caught.value.status == 400 and "outside" in caught.value.message
    for url in (
        str(tmp_path / "elsewhere" / "collection.json"),
        "file:///etc/passwd",
        "/vsicurl/x",
        "ftp://x/y",
    ):
        with pytest.raises(ApiError) as caught:
            load_stac(url, ctx=ctx)
        assert caught.value.code == "ProcessParameterInvalid" and caught.value.status == 400


def test_unknown_band_lists_what_is_offered(config, demo, ctx):
    with pytest.raises(ApiError) as caught:
        load_stac(str(config.paths.data_root / "stac" / "collection.json"), bands=["B99"], ctx=ctx)
    assert caught.value.code == "ProcessParameterInvalid"
    assert "B99" in caught.value.message and "B08" in caught.value.message


def test_no_item_in_the_extent_is_no_data_available(config, demo, ctx):
    path = str(config.paths.data_root / "stac" / "collection.json")
    with pytest.raises(ApiError) as caught:
        load_stac(path, temporal_extent=["2024-01-01", "2024-02-01"], ctx=ctx)
    assert caught.value.code == "NoDataAvailable" and caught.value.status == 400
    far_away = {"west": -60, "south": -10, "east": -59, "north": -9}
    with pytest.raises(ApiError) as caught:
        load_stac(path, spatial_extent=far_away, ctx=ctx)
    assert caught.value.code == "NoDataAvailable"


def test_unreachable_and_non_stac_addresses_are_clear_errors(served, config, ctx):
    (config.paths.data_root / "plain.json").write_text(json.dumps({"hello": "world"}))
    (config.paths.data_root / "page.html").write_text("<html></html>")
    cases = {
        f"{served.url}/plain.json": "not a STAC",
        f"{served.url}/page.html": "not a JSON",
        f"{served.url}/missing.json": "HTTP 404",
        "http://127.0.0.1:9/collection.json": "cannot be reached",
    }
    for url, reason in cases.items():
        with pytest.raises(ApiError) as caught:
            load_stac(url, ctx=ctx)
        assert caught.value.code == "ProcessParameterInvalid" and caught.value.status == 400
        assert reason in caught.value.message, caught.value.message


def test_a_graph_with_a_local_path_passes_validation(config, demo, ctx):
    """The official schema asks for http(s); this back-end also accepts paths on the server."""
    graph = {
        "process_graph": {
            "load": {
                "process_id": "load_stac",
                "arguments": {
                    "url": str(config.paths.data_root / "stac" / "collection.json"),
                    "bands": ["B04"],
                },
            },
            "mean": {
                "process_id": "reduce_dimension",
                "arguments": {
                    "data": {"from_node": "load"},
                    "dimension": "t",
                    "reducer": {
                        "process_graph": {
                            "m": {
                                "process_id": "mean",
                                "arguments": {"data": {"from_parameter": "data"}},
                                "result": True,
                            }
                        }
                    },
                },
                "result": True,
            },
        }
    }
    result = run_process(graph, ctx, processes=PREDEFINED)
    expected = np.nanmean(np.stack([stored(demo, "B04", i) for i in range(3)]), axis=0)
    np.testing.assert_allclose(result.values[0], expected, rtol=1e-6)


def test_a_missing_asset_is_left_out_and_logged(config, demo, ctx, caplog):
    demo.path("B04", 1).unlink()
    with caplog.at_level("WARNING", logger="openeo_gip"):
        cube = load_stac(str(config.paths.data_root / "stac" / "collection.json"), bands=["B04"], ctx=ctx)
    assert [str(t)[:10] for t in cube["t"].values] == ["2023-01-05", "2023-02-04"]
    np.testing.assert_array_equal(cube.values[1, 0], stored(demo, "B04", 2))
    assert any("s2-20230120/B04" in record.getMessage() for record in caplog.records)
