"""Hostile process graphs (#13): sizes that drive allocation or time, numbers that overflow, deep nesting,
recursive user-defined processes and unchecked format options. Each is sent to a real server process,
which must answer with a clear openEO error and keep serving others."""

from __future__ import annotations

import json

import pytest
import requests

from openeo_gip.db import Database
from openeo_gip.db.accounts import find_user
from openeo_gip.db.process_graphs import put_process
from tests.support.server_process import assert_openeo_error, assert_still_serving, send_json

pytestmark = pytest.mark.slow

DEM = {
    "process_id": "load_collection",
    "arguments": {"id": "DEM_DEMO", "spatial_extent": None, "temporal_extent": None},
}


def _process(**nodes: dict) -> dict:
    """A process whose last node is the result."""
    *_, last = nodes
    return {"process_graph": {name: {**node, "result": name == last} for name, node in nodes.items()}}


def _call(process_id: str, **arguments) -> dict:
    return {"process_id": process_id, "arguments": arguments}


def _result(server, process: str | dict) -> requests.Response:
    text = process if isinstance(process, str) else json.dumps(process)
    return send_json(server, "/result", '{"process": ' + text + "}")


def _save(**options) -> dict:
    return _process(load=DEM, save=_call("save_result", data={"from_node": "load"}, **options))


FROM_LOAD = {"from_node": "load"}
FIRST_PARAMETER = _process(x=_call("array_element", data={"from_parameter": "parameters"}, index=0))
FIT_PER_DATE = _process(
    fit=_call("fit_curve", data={"from_parameter": "data"}, parameters=[0] * 1000, function=FIRST_PARAMETER)
)
SQUARE = {"type": "Polygon", "coordinates": [[[4.44, 51.44], [4.45, 51.44], [4.45, 51.45], [4.44, 51.44]]]}
MEAN = _process(m=_call("mean", data={"from_parameter": "data"}))
# (the parameter refused, the process)
BAD_PARAMETERS = {
    "gtiff tile_size -1": ("options", _save(format="GTiff", options={"tile_size": -1})),
    "gtiff tile_size 10**12": ("options", _save(format="GTiff", options={"tile_size": 10**12})),
    "gtiff compression unknown": ("options", _save(format="GTiff", options={"compression": "magic"})),
    "zarr_format 4": ("options", _save(format="Zarr", options={"zarr_format": 4})),
    "png scale_min text": ("options", _save(format="PNG", options={"scale_min": "low"})),
    "quantiles q 10**9": ("q", _process(q=_call("quantiles", data=[1, 2, 3], q=10**9))),
    "quantiles 10**5 probabilities": (
        "probabilities",
        _process(q=_call("quantiles", data=[1, 2], probabilities=[i / 10**5 for i in range(1, 10**5)])),
    ),
    "array_create repeat 10**9": ("repeat", _process(a=_call("array_create", data=[1], repeat=10**9))),
    "array_create repeat 10**300": ("repeat", _process(a=_call("array_create", data=[1], repeat=10**300))),
    "date_shift 10**12 days": (
        "value",
        _process(d=_call("date_shift", date="2020-01-01", value=10**12, unit="day")),
    ),
    "date_shift 10**12 months": (
        "value",
        _process(d=_call("date_shift", date="2020-01-01", value=10**12, unit="month")),
    ),
    "apply_kernel 201 x 201": (
        "kernel",
        _process(load=DEM, k=_call("apply_kernel", data=FROM_LOAD, kernel=[[1] * 201] * 201)),
    ),
    "resample_spatial 1e-9": (
        "resolution",
        _process(load=DEM, r=_call("resample_spatial", data=FROM_LOAD, resolution=1e-9)),
    ),
    "rearrange order 10**12": ("order", _process(r=_call("rearrange", data=[1, 2], order=[10**12]))),
    "fit_curve 1000 parameters": (
        "parameters",
        _process(
            load={**DEM, "arguments": {**DEM["arguments"], "id": "TEMPERATURE_DEMO"}},
            a=_call("apply_dimension", data=FROM_LOAD, dimension="t", process=FIT_PER_DATE),
        ),
    ),
    "array_concat beyond 10**6": (
        "array2",
        _process(
            a=_call("array_create", data=[1], repeat=600_000),
            c=_call("array_concat", array1={"from_node": "a"}, array2={"from_node": "a"}),
        ),
    ),
    "text_concat beyond 10**7": (
        "data",
        _process(
            t=_call("text_concat", data=["a" * 3_000_000]),
            more=_call("text_concat", data=[{"from_node": "t"}] * 4),
        ),
    ),
    "aggregate_spatial_window 10**6": (
        "size",
        _process(
            load=DEM,
            w=_call("aggregate_spatial_window", data=FROM_LOAD, size=[10**6, 10**6], reducer=MEAN),
        ),
    ),
    "apply_neighborhood overlap 10**6": (
        "overlap",
        _process(
            load=DEM,
            n=_call(
                "apply_neighborhood",
                data=FROM_LOAD,
                process=_process(a=_call("absolute", x={"from_parameter": "data"})),
                size=[
                    {"dimension": "x", "value": 32, "unit": "px"},
                    {"dimension": "y", "value": 32, "unit": "px"},
                ],
                overlap=[{"dimension": "x", "value": 10**6, "unit": "px"}],
            ),
        ),
    ),
    "vector_to_random_points 10**12": (
        "geometry_count",
        _process(
            v=_call("load_geojson", data=SQUARE, properties=[]),
            p=_call("vector_to_random_points", data={"from_node": "v"}, geometry_count=10**12),
        ),
    ),
    "vector_to_regular_points 1e-300 m": (
        "distance",
        _process(
            v=_call("load_geojson", data=SQUARE, properties=[]),
            m=_call("vector_reproject", data={"from_node": "v"}, projection=32631),
            p=_call("vector_to_regular_points", data={"from_node": "m"}, distance=1e-300),
        ),
    ),
    "load_url [::1": ("url", _process(u=_call("load_url", url="http://[::1/", format="GTiff"))),
    "load_stac [::1": ("url", _process(s=_call("load_stac", url="http://[::1/"))),
}


@pytest.mark.parametrize(("parameter", "process"), BAD_PARAMETERS.values(), ids=BAD_PARAMETERS.keys())
def test_parameters_beyond_their_limits_are_refused(hostile_server, parameter, process):
    body = assert_openeo_error(_result(hostile_server, process), 400, "ProcessParameterInvalid")
    assert f"parameter '{parameter}'" in body["message"]
    assert_still_serving(hostile_server)


# Python's JSON encoder writes no NaN or Infinity: the box is put into the text afterwards.
BOX = '{"west": 4.44, "south": NaN, "east": Infinity, "north": 51.44}'


def _with_box(process: dict) -> str:
    return json.dumps(process).replace('"BOX"', BOX)


BAD_BOXES = {
    "load_collection": _with_box(
        _process(load=_call("load_collection", id="DEM_DEMO", spatial_extent="BOX", temporal_extent=None))
    ),
    "filter_bbox": _with_box(_process(load=DEM, box=_call("filter_bbox", data=FROM_LOAD, extent="BOX"))),
}


@pytest.mark.parametrize("process", BAD_BOXES.values(), ids=BAD_BOXES.keys())
def test_nan_and_infinity_in_a_bounding_box_are_refused(hostile_server, process):
    body = assert_openeo_error(_result(hostile_server, process), 400, "ProcessParameterInvalid")
    assert "finite" in body["message"]
    assert_still_serving(hostile_server)


def _load_dem_in(box: dict) -> dict:
    return _process(load={**DEM, "arguments": {**DEM["arguments"], "spatial_extent": box}})


def test_a_bounding_box_far_beyond_the_projection_reads_what_it_covers(hostile_server):
    huge = {"west": -1e300, "south": -1e300, "east": 1e300, "north": 1e300}
    response = _result(hostile_server, _load_dem_in({**huge, "crs": 32631}))
    assert response.status_code == 200, response.text  # infinite pixel positions were a 500
    whole = _result(hostile_server, _process(load=DEM)).json()["labels"]
    assert response.json()["labels"] == whole
    body = assert_openeo_error(_result(hostile_server, _load_dem_in(huge)), 400, "ProcessParameterInvalid")
    assert "latitudes" in body["message"]
    assert_still_serving(hostile_server)


def test_integers_beyond_64_bits_compute_as_floating_point(hostile_server):
    response = _result(hostile_server, _process(a=_call("add", x=10**300, y=1)))
    assert response.status_code == 200, response.text
    assert response.json() == pytest.approx(1e300)
    response = _result(hostile_server, _process(m=_call("multiply", x=10**300, y=10**300)))
    assert response.status_code == 200, response.text  # infinity, which JSON writes as null
    assert response.json() is None
    assert_still_serving(hostile_server)


def test_callbacks_over_large_plain_arrays_are_refused(hostile_server):
    """Each callback over a plain array runs per element: 10**6 elements, each running a callback over
    10**6 more, would hold a server thread for days."""
    inner = _process(
        big=_call("array_create", data=[1], repeat=10**6),
        each=_call("array_apply", data={"from_node": "big"}, process=_process(a=_call("absolute", x=1))),
    )
    outer = _process(
        big=_call("array_create", data=[1], repeat=10**6),
        each=_call("array_apply", data={"from_node": "big"}, process=inner),
    )
    body = assert_openeo_error(_result(hostile_server, outer), 400, "ProcessGraphComplexity")
    assert "plain arrays" in body["message"]
    assert_still_serving(hostile_server)


def test_dates_to_the_end_of_the_calendar_compute(hostile_server):
    graph = _process(d=_call("date_difference", date1="0001-01-01", date2="9999-01-01", unit="year"))
    response = _result(hostile_server, graph)
    assert response.status_code == 200, response.text  # the step after the year 9999 broke the count
    assert response.json() == 9998
    assert_still_serving(hostile_server)


def _deep_arrays(depth: int) -> str:
    return json.dumps(_process(e=_call("array_element", data="DEEP", index=0))).replace(
        '"DEEP"', "[" * depth + "1" + "]" * depth
    )


def _deep_callbacks(depth: int) -> str:
    graph = '{"a": {"process_id": "absolute", "arguments": {"x": {"from_parameter": "x"}}, "result": true}}'
    for _ in range(depth):
        graph = (
            '{"a": {"process_id": "array_apply", "arguments": {"data": [1], '
            '"process": {"process_graph": ' + graph + "}}, "
            '"result": true}}'
        )
    return '{"process_graph": ' + graph + "}"


# Deeper than the engine's limit (100 levels), within the request's own JSON depth limit (the HTTP layer's).
DEEP = {"arrays 400": _deep_arrays(400), "callbacks 100": _deep_callbacks(100)}


@pytest.mark.parametrize("process", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_is_refused_everywhere(hostile_server, process):
    server = hostile_server
    assert_openeo_error(_result(server, process), 400, "ProcessGraphInvalid")
    assert_openeo_error(
        send_json(server, "/jobs", '{"process": ' + process + "}"), 400, "ProcessGraphInvalid"
    )
    stored = send_json(server, "/process_graphs/deep", process, method="PUT")
    assert_openeo_error(stored, 400, "ProcessGraphInvalid")
    validation = send_json(server, "/validation", process)
    assert validation.status_code == 200, validation.text
    assert [error["code"] for error in validation.json()["errors"]] == ["ProcessGraphInvalid"]
    assert_still_serving(server)


def test_graphs_within_the_limits_still_run(hostile_server):
    """The limits leave room: callbacks 15 deep and arrays 50 deep compute."""
    assert _result(hostile_server, _deep_callbacks(15)).json() == [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]
    assert _result(hostile_server, _deep_arrays(50)).json() == json.loads("[" * 49 + "1" + "]" * 49)


def _calls(process_id: str) -> dict:
    return _process(c=_call(process_id, x={"from_parameter": "x"}))


def test_recursive_user_processes_cannot_be_stored(hostile_server):
    server = hostile_server
    x = [{"name": "x", "schema": {"type": "number"}}]
    assert send_json(server, "/process_graphs/ping", {**_calls("absolute"), "parameters": x}, "PUT").ok
    assert send_json(server, "/process_graphs/pong", {**_calls("ping"), "parameters": x}, "PUT").ok
    for process_id, body in (("ping", _calls("ping")), ("ping", _calls("pong"))):  # itself, or through pong
        response = send_json(server, f"/process_graphs/{process_id}", {**body, "parameters": x}, "PUT")
        assert "recursive" in assert_openeo_error(response, 400, "ProcessGraphInvalid")["message"]
    assert_still_serving(server)


def test_validation_refuses_a_recursive_process_as_result_does(hostile_server):
    """A recursive process stored before the check existed: /validation and /result both refuse it."""
    server = hostile_server
    db = Database(server.sections["database"]["url"])
    try:
        recursive = {"id": "loop", "parameters": [{"name": "x", "schema": {}}], **_calls("loop")}
        put_process(db, find_user(db, "alice").id, "loop", recursive)
    finally:
        db.dispose()
    graph = _process(n=_call("loop", x=1))
    validation = send_json(server, "/validation", graph)
    assert [error["code"] for error in validation.json()["errors"]] == ["ProcessGraphInvalid"], (
        validation.text
    )
    assert_openeo_error(_result(server, graph), 400, "ProcessGraphInvalid")
    assert_still_serving(server)
