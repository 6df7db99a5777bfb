"""Graph parsing, validation errors with their codes, evaluation, callbacks, user-defined processes."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from openeo_gip.engine.definitions import PredefinedProcesses, Processes, no_user_processes
from openeo_gip.engine.execute import run_process, validation_errors
from openeo_gip.engine.graph import ChildGraph, FromNode, FromParameter, parse_graph
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView, ProcessContext
from openeo_gip.processes.registry import Implementation, PredefinedProcess, predefined
from tests.support.processes import PREDEFINED


def run(
    graph: dict,
    parameters: dict | None = None,
    user_processes=no_user_processes,
    declared=None,
    predefined_processes: PredefinedProcesses = predefined,
):
    document = {"process_graph": graph}
    if declared:
        document["parameters"] = declared
    processes = Processes(predefined_processes, user_processes)
    return run_process(document, ProcessContext(services=None), processes=processes, parameters=parameters)


def errors_of(graph: dict, user_processes=no_user_processes, **kwargs) -> list[ApiError]:
    processes = Processes(predefined, user_processes)
    return validation_errors({"process_graph": graph}, processes=processes, **kwargs)


def predefined_and(process_id: str, func, *parameters: str) -> PredefinedProcesses:
    """The predefined processes and one more, ``process_id``, taking ``parameters`` (any schema)."""
    spec = {"id": process_id, "parameters": [{"name": name, "schema": {}} for name in parameters]}
    extra = PredefinedProcess(spec, Implementation(process_id, func, needs_context=False))
    return lambda wanted: extra if wanted == process_id else predefined(wanted)


def node(process_id: str, result: bool = False, **arguments) -> dict:
    entry = {"process_id": process_id, "arguments": arguments}
    if result:
        entry["result"] = True
    return entry


# ---- parsing --------------------------------------------------------------------------------------------


def test_parse_finds_references_at_any_depth():
    graph = parse_graph(
        {
            "a": node("add", x=1, y=2),
            "b": node(
                "array_create",
                True,
                data=[{"from_node": "a"}, {"k": {"from_parameter": "p"}}],
                extra={"process_graph": {"n": node("pi", True)}},
            ),
        }
    )
    arguments = graph.nodes["b"].arguments
    assert arguments["data"][0] == FromNode("a")
    assert arguments["data"][1]["k"] == FromParameter("p")
    assert isinstance(arguments["extra"], ChildGraph)
    assert graph.result_id == "b" and graph.end_ids == ["b"]


@pytest.mark.parametrize(
    "graph, words",
    [
        ({"a": node("pi")}, "no result node"),
        ({"a": node("pi", True), "b": node("e", True)}, "several result nodes"),
        ({"a": node("add", True, x={"from_node": "zzz"}, y=1)}, "does not exist"),
        (
            {"a": node("add", x={"from_node": "b"}, y=1), "b": node("add", True, x={"from_node": "a"}, y=1)},
            "cycle",
        ),
        ({}, "non-empty"),
        ({"a": {"arguments": {}, "result": True}}, "process_id"),
    ],
)
def test_structural_problems_are_process_graph_invalid(graph, words):
    errors = errors_of(graph)
    assert [error.code for error in errors] == ["ProcessGraphInvalid"]
    assert words in errors[0].message
    with pytest.raises(ApiError) as raised:
        run(graph)
    assert raised.value.code == "ProcessGraphInvalid" and raised.value.status == 400


# ---- validation ------------------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_code_naming_the_node():
    graph = {
        "unknown": node("no_such_process", x=1),
        "missing": node("add", x=1),
        "extra": node("add", x=1, y=2, z=3),
        "wrong": node("add", x="text", y=2),
        "cube": node(
            "reduce_dimension", data=5, reducer={"process_graph": {"m": node("pi", True)}}, dimension="t"
        ),
        "end": node("pi", True),
    }
    errors = {error.code: error.message for error in errors_of(graph)}
    assert set(errors) == {
        "ProcessUnsupported",
        "ProcessParameterRequired",
        "ProcessParameterUnsupported",
        "ProcessParameterInvalid",
    }
    assert errors["ProcessUnsupported"].startswith("Node 'unknown' (no_such_process)")
    assert "'missing'" in errors["ProcessParameterRequired"] and "'y'" in errors["ProcessParameterRequired"]
    assert "'z'" in errors["ProcessParameterUnsupported"]
    invalid = [e for e in errors_of(graph) if e.code == "ProcessParameterInvalid"]
    assert {e.message.split("'")[1] for e in invalid} == {"wrong", "cube"}
    assert any("'x' of process 'add'" in e.message for e in invalid)
    assert any("'data' of process 'reduce_dimension'" in e.message for e in invalid)


def test_subtypes_and_references_are_checked_by_kind():
    callback_expected = {
        "r": node("reduce_dimension", True, data={"from_node": "n"}, reducer=3, dimension="t"),
        "n": node("pi"),
    }
    messages = [e.message for e in errors_of(callback_expected)]
    # a number is neither a cube (data, from pi's return schema) nor a process graph (reducer)
    assert len(messages) == 2 and all("ProcessParameterInvalid" not in m for m in messages)
    assert any("'data'" in m for m in messages) and any("'reducer'" in m for m in messages)
    bbox = {"f": node("filter_bbox", True, data={"from_parameter": "cube"}, extent={"west": 1, "south": 2})}
    document = {"process_graph": bbox, "parameters": [{"name": "cube", "schema": {}}]}
    [error] = validation_errors(document, processes=PREDEFINED)
    assert error.code == "ProcessParameterInvalid" and "extent" in error.message


def test_namespaces():
    assert errors_of({"a": node("pi", True) | {"namespace": "backend"}}) == []
    [error] = errors_of({"a": node("pi", True) | {"namespace": "user"}})
    assert error.code == "ProcessUnsupported"
    [error] = errors_of({"a": node("pi", True) | {"namespace": "https://elsewhere"}})
    assert error.code == "ProcessUnsupported"


def test_undefined_parameter_is_reported():
    [error] = errors_of({"a": node("add", True, x={"from_parameter": "nope"}, y=1)})
    assert error.code == "ProcessGraphInvalid" and "nope" in error.message


def test_unknown_collection_is_reported_before_anything_runs():
    class Catalog:
        def get(self, collection_id, user=None):
            raise ApiError("CollectionNotFound", identifier=collection_id)

    class Services:
        catalog = Catalog()

    graph = {"l": node("load_collection", True, id="NOPE", spatial_extent=None, temporal_extent=None)}
    [error] = errors_of(graph, services=Services())
    assert error.code == "CollectionNotFound" and error.status == 404


# ---- evaluation ------------------------------------------------------------------------------------------


def test_each_node_runs_once_and_values_flow():
    calls = []

    def counter(x):
        calls.append(x)
        return x * 10

    graph = {
        "c": node("_test_counter", x=4),
        "a": node("add", x={"from_node": "c"}, y={"from_node": "c"}),
        "b": node("multiply", True, x={"from_node": "a"}, y={"from_node": "c"}),
    }
    assert run(graph, predefined_processes=predefined_and("_test_counter", counter, "x")) == (40 + 40) * 40
    assert calls == [4]


def test_literal_arrays_and_objects_hold_references():
    graph = {
        "a": node("add", x=1, y=2),
        "s": node("sum", True, data=[{"from_node": "a"}, 10, {"from_parameter": "p"}]),
    }
    assert run(graph, {"p": 100}, declared=[{"name": "p", "schema": {}}]) == 113


def test_callbacks_reach_parent_parameters_and_run_vectorised():
    values = np.arange(24, dtype=float).reshape(2, 3, 4)
    cube = xr.DataArray(values, dims=("t", "y", "x")).chunk()
    reducer = {
        "m": node("mean", data={"from_parameter": "data"}),
        "o": node("add", True, x={"from_node": "m"}, y={"from_parameter": "offset"}),
    }
    graph = {
        "r": node(
            "reduce_dimension",
            True,
            data={"from_parameter": "cube"},
            reducer={"process_graph": reducer},
            dimension="t",
        )
    }
    result = run(
        graph,
        {"cube": cube, "offset": 0.5},
        declared=[{"name": "cube", "schema": {}}, {"name": "offset", "schema": {}}],
    )
    np.testing.assert_allclose(result.values, values.mean(axis=0) + 0.5)


def test_errors_while_computing_name_node_and_process():
    with pytest.raises(ApiError) as raised:
        run({"e": node("array_element", True, data=[1, 2], index=5)})
    assert raised.value.code == "ArrayElementNotAvailable"
    assert raised.value.message.startswith("Node 'e' (array_element)")

    def broken():
        raise ZeroDivisionError

    with pytest.raises(ApiError) as raised:
        run({"b": node("_test_broken", True)}, predefined_processes=predefined_and("_test_broken", broken))
    assert raised.value.status == 500 and "Node 'b' (_test_broken)" in raised.value.message


def test_elementwise_processes_keep_array_views():
    cube = xr.DataArray(np.array([[1.0, np.nan], [3.0, 4.0]]), dims=("bands", "x"))
    view = ArrayView(cube, "bands")
    graph = {"g": node("gt", True, x={"from_parameter": "v"}, y=2)}
    result = run(graph, {"v": view}, declared=[{"name": "v", "schema": {}}])
    assert isinstance(result, ArrayView) and result.dim == "bands"
    np.testing.assert_array_equal(result.data.values, [[0.0, np.nan], [1.0, 1.0]])


# ---- user-defined processes ------------------------------------------------------------------------------


def _udp_store(**processes):
    return lambda process_id: processes.get(process_id)


def test_user_defined_process_with_parameters_and_defaults():
    scale = {
        "id": "scale",
        "parameters": [
            {"name": "value", "schema": {"type": "number"}},
            {"name": "factor", "schema": {"type": "number"}, "optional": True, "default": 3},
        ],
        "process_graph": {
            "m": node("multiply", True, x={"from_parameter": "value"}, y={"from_parameter": "factor"})
        },
    }
    store = _udp_store(scale=scale)
    assert run({"s": node("scale", True, value=2)}, user_processes=store) == 6
    assert (
        run({"s": node("scale", True, value=2, factor=5) | {"namespace": "user"}}, user_processes=store) == 10
    )
    [error] = errors_of({"s": node("scale", True)}, user_processes=store)
    assert error.code == "ProcessParameterRequired"


def test_user_process_takes_precedence_unless_backend_namespace():
    own_pi = {"id": "pi", "parameters": [], "process_graph": {"c": node("constant", True, x=3)}}
    store = _udp_store(pi=own_pi)
    assert run({"p": node("pi", True)}, user_processes=store) == 3
    assert run({"p": node("pi", True) | {"namespace": "backend"}}, user_processes=store) == pytest.approx(
        np.pi
    )


def test_recursive_user_process_stops():
    loop = {"id": "loop", "parameters": [], "process_graph": {"l": node("loop", True)}}
    with pytest.raises(ApiError) as raised:
        run({"l": node("loop", True)}, user_processes=_udp_store(loop=loop))
    assert raised.value.code == "ProcessGraphInvalid"


def test_a_run_looks_each_stored_process_up_once():
    # The store is a database query: validating, checking user-process calls and evaluating share lookups.
    asked: list[str] = []
    double = {
        "id": "double",
        "parameters": [{"name": "x", "schema": {"type": "number"}}],
        "process_graph": {"m": node("multiply", True, x={"from_parameter": "x"}, y=2)},
    }

    def store(process_id: str) -> dict | None:
        asked.append(process_id)
        return double if process_id == "double" else None

    graph = {
        "a": node("double", x=1),
        "b": node("double", x={"from_node": "a"}),
        "c": node("add", True, x={"from_node": "a"}, y={"from_node": "b"}),
    }
    assert run(graph, user_processes=store) == 6
    assert sorted(asked) == ["add", "double", "multiply"]
