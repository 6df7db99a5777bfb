"""/processes, /validation, /result and /process_graphs over a live HTTP server."""

from __future__ import annotations

import json

import requests

from openeo_gip.processes.registry import offered
from openeo_gip.processes.specs import get_spec
from tests.conftest import bearer_for
from tests.support.openapi import assert_valid_response

ADD = {"process_graph": {"add1": {"process_id": "add", "arguments": {"x": 1, "y": 2}, "result": True}}}


def test_processes_lists_exactly_the_implemented_ones(server):
    response = requests.get(f"{server.url}/processes", timeout=30)
    assert response.status_code == 200
    assert_valid_response(server.url, response)
    processes = response.json()["processes"]
    assert [p["id"] for p in processes] == list(offered())
    add = next(p for p in processes if p["id"] == "add")
    assert add == get_spec("add")
    assert {"mean", "array_element", "if", "text_concat", "linear_scale_range"} <= {
        p["id"] for p in processes
    }


def test_processes_are_all_listed_whatever_page_is_asked_for(server):
    """The JavaScript client asks for limit=50 and does not follow next links."""
    everything = requests.get(f"{server.url}/processes", timeout=30).json()["processes"]
    for query in ("limit=50", "limit=50&offset=", "limit=&offset=10"):
        response = requests.get(f"{server.url}/processes?{query}", timeout=30)
        assert response.status_code == 200 and response.json()["processes"] == everything, query
    assert len(everything) == len(offered()) > 50


def test_processes_show_the_wider_schemas_validation_accepts(server):
    """load_stac also reads a STAC document on this server by path: GET /processes says so, the spec file
    keeps the official http(s) schema."""
    processes = requests.get(f"{server.url}/processes", timeout=30).json()["processes"]
    load_stac = next(p for p in processes if p["id"] == "load_stac")
    url = next(p for p in load_stac["parameters"] if p["name"] == "url")
    assert url["schema"] == {"title": "URL or path on this server", "type": "string", "minLength": 1}
    assert get_spec("load_stac")["parameters"][0]["schema"]["pattern"] == "^https?://"
    graph = {"l": {"process_id": "load_stac", "arguments": {"url": "collections/s2.json"}, "result": True}}
    response = requests.post(f"{server.url}/validation", json={"process_graph": graph}, timeout=30)
    assert response.json() == {"errors": []}
    graph["l"]["arguments"]["url"] = ""
    response = requests.post(f"{server.url}/validation", json={"process_graph": graph}, timeout=30)
    assert [error["code"] for error in response.json()["errors"]] == ["ProcessParameterInvalid"]


def test_result_returns_a_plain_value_as_json(server, alice):
    headers = bearer_for(server.url, "alice")
    response = requests.post(f"{server.url}/result", json={"process": ADD}, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == 3


def test_result_needs_a_login_and_a_process(server, alice):
    response = requests.post(f"{server.url}/result", json={"process": ADD}, timeout=30)
    assert response.status_code == 401
    assert response.json()["code"] == "AuthenticationRequired"
    headers = bearer_for(server.url, "alice")
    response = requests.post(f"{server.url}/result", json={"nothing": 1}, headers=headers, timeout=30)
    assert response.status_code == 400 and response.json()["code"] == "RequestBodyInvalid"
    assert_valid_response(server.url, response)


def test_result_reports_errors_with_node_and_process(server, alice):
    headers = bearer_for(server.url, "alice")
    process = {
        "process_graph": {
            "el": {"process_id": "array_element", "arguments": {"data": [1], "index": 3}, "result": True}
        }
    }
    response = requests.post(f"{server.url}/result", json={"process": process}, headers=headers, timeout=30)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "ArrayElementNotAvailable" and body["message"].startswith(
        "Node 'el' (array_element)"
    )


def test_validation_lists_every_error_and_computes_nothing(server):
    bad = {
        "process_graph": {
            "a": {"process_id": "add", "arguments": {"x": "one"}},
            "b": {"process_id": "nope", "arguments": {}},
            "c": {
                "process_id": "load_collection",
                "arguments": {"id": "S2", "spatial_extent": None, "temporal_extent": None, "colour": 1},
                "result": True,
            },
        }
    }
    response = requests.post(f"{server.url}/validation", json=bad, timeout=30)
    assert response.status_code == 200
    assert_valid_response(server.url, response)
    codes = sorted(error["code"] for error in response.json()["errors"])
    # the test server's catalogue is empty, so the collection is unknown as well
    expected = ["CollectionNotFound", "ProcessParameterInvalid", "ProcessParameterRequired"]
    expected += ["ProcessParameterUnsupported", "ProcessUnsupported"]
    assert codes == sorted(expected)
    good = requests.post(f"{server.url}/validation", json=ADD, timeout=30)
    assert good.status_code == 200 and good.json() == {"errors": []}
    broken = requests.post(
        f"{server.url}/validation", data="{not json", timeout=30, headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["code"] == "JSONInvalid"


def test_user_defined_processes_round_trip_and_are_callable(server, alice):
    headers = bearer_for(server.url, "alice")
    udp = {
        "summary": "Scales a number",
        "parameters": [
            {"name": "value", "description": "number", "schema": {"type": "number"}},
            {
                "name": "factor",
                "description": "factor",
                "schema": {"type": "number"},
                "optional": True,
                "default": 10,
            },
        ],
        "returns": {"schema": {"type": "number"}},
        "process_graph": {
            "m": {
                "process_id": "multiply",
                "arguments": {"x": {"from_parameter": "value"}, "y": {"from_parameter": "factor"}},
                "result": True,
            }
        },
    }
    url = f"{server.url}/process_graphs/scale"
    stored = requests.put(
        url, data=json.dumps(udp), headers=headers | {"Content-Type": "application/json"}, timeout=30
    )
    assert stored.status_code == 200, stored.text
    got = requests.get(url, headers=headers, timeout=30)
    assert_valid_response(server.url, got)
    assert got.json()["id"] == "scale" and got.json()["process_graph"] == udp["process_graph"]
    listed = requests.get(f"{server.url}/process_graphs", headers=headers, timeout=30)
    assert_valid_response(server.url, listed)
    assert [p["id"] for p in listed.json()["processes"]] == ["scale"]

    caller = {
        "process_graph": {
            "s": {"process_id": "scale", "arguments": {"value": 4}},
            "t": {
                "process_id": "scale",
                "namespace": "user",
                "arguments": {"value": {"from_node": "s"}, "factor": 0.5},
                "result": True,
            },
        }
    }
    response = requests.post(f"{server.url}/result", json={"process": caller}, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json() == 4 * 10 * 0.5

    # invalid graphs are refused on store
    broken = dict(udp, process_graph={"m": {"process_id": "nope", "arguments": {}, "result": True}})
    refused = requests.put(f"{server.url}/process_graphs/broken", json=broken, headers=headers, timeout=30)
    assert refused.status_code == 400 and refused.json()["code"] == "ProcessUnsupported"

    assert requests.delete(url, headers=headers, timeout=30).status_code == 204
    missing = requests.get(url, headers=headers, timeout=30)
    assert missing.status_code == 404 and missing.json()["code"] == "ProcessGraphNotFound"
    gone = requests.post(f"{server.url}/result", json={"process": caller}, headers=headers, timeout=30)
    assert gone.status_code == 400 and gone.json()["code"] == "ProcessUnsupported"


def test_user_processes_are_private(server, alice):
    from tests.conftest import add_user

    add_user(server.app, "bob")
    alice_headers, bob_headers = bearer_for(server.url, "alice"), bearer_for(server.url, "bob")
    udp = {"process_graph": {"c": {"process_id": "constant", "arguments": {"x": 1}, "result": True}}}
    assert (
        requests.put(
            f"{server.url}/process_graphs/mine", json=udp, headers=alice_headers, timeout=30
        ).status_code
        == 200
    )
    response = requests.get(f"{server.url}/process_graphs/mine", headers=bob_headers, timeout=30)
    assert response.status_code == 404
    assert (
        requests.get(f"{server.url}/process_graphs", headers=bob_headers, timeout=30).json()["processes"]
        == []
    )


def test_result_streams_a_geotiff_computed_from_the_source_files(tmp_path, db_url):
    import numpy as np
    import rasterio

    from openeo_gip.app import create_app
    from openeo_gip.demodata import synthetic
    from tests.conftest import add_user, make_config
    from tests.support.live_server import LiveServer

    config = make_config(
        tmp_path, db_url, dask={"n_workers": 1, "threads_per_worker": 1, "memory_limit": "6GiB"}
    )
    demo = synthetic.write_sentinel2_demo(config.paths.data_root / "S2_DEMO", size=32, dates=2, blocksize=128)
    app = create_app(config)
    add_user(app, "alice")
    reducer = {
        "red": {
            "process_id": "array_element",
            "arguments": {"data": {"from_parameter": "data"}, "label": "B04"},
        },
        "nir": {
            "process_id": "array_element",
            "arguments": {"data": {"from_parameter": "data"}, "label": "B08"},
        },
        "dif": {
            "process_id": "subtract",
            "arguments": {"x": {"from_node": "nir"}, "y": {"from_node": "red"}},
        },
        "sum": {"process_id": "add", "arguments": {"x": {"from_node": "nir"}, "y": {"from_node": "red"}}},
        "ndvi": {
            "process_id": "divide",
            "arguments": {"x": {"from_node": "dif"}, "y": {"from_node": "sum"}},
            "result": True,
        },
    }
    mean = {"m": {"process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": True}}
    graph = {
        "load": {
            "process_id": "load_collection",
            "arguments": {
                "id": "S2_DEMO",
                "spatial_extent": None,
                "temporal_extent": None,
                "bands": ["B04", "B08"],
            },
        },
        "bands": {
            "process_id": "reduce_dimension",
            "arguments": {
                "data": {"from_node": "load"},
                "reducer": {"process_graph": reducer},
                "dimension": "bands",
            },
        },
        "time": {
            "process_id": "reduce_dimension",
            "arguments": {
                "data": {"from_node": "bands"},
                "reducer": {"process_graph": mean},
                "dimension": "t",
            },
        },
        "save": {
            "process_id": "save_result",
            "arguments": {"data": {"from_node": "time"}, "format": "GTiff"},
            "result": True,
        },
    }
    try:
        with LiveServer(app) as server:
            app.extensions["openeo_gip"].config.server.public_url = server.url
            headers = bearer_for(server.url, "alice")
            response = requests.post(
                f"{server.url}/result",
                json={"process": {"process_graph": graph}},
                headers=headers,
                timeout=120,
            )
            assert response.status_code == 200, response.text
            assert response.headers["Content-Type"].startswith("image/tiff")
            (tmp_path / "out.tif").write_bytes(response.content)
    finally:
        cluster = app.extensions["openeo_gip"].cluster
        if cluster is not None:
            cluster.close()
        app.extensions["openeo_gip"].db.dispose()

    ndvis = []
    for index in range(2):
        red = demo.array("B04", index).astype(float)
        nir = demo.array("B08", index).astype(float)
        red[red == 0] = np.nan
        nir[nir == 0] = np.nan
        ndvis.append((nir - red) / (nir + red))
    with np.errstate(all="ignore"):
        expected = np.nanmean(np.stack(ndvis), axis=0)
    with rasterio.open(tmp_path / "out.tif") as written:
        actual = written.read(1, masked=True).filled(np.nan)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, equal_nan=True)
