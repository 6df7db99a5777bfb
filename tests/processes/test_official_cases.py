"""Every official test case of every implemented process, through the engine (a one-node graph) and, for
results that are plain JSON values, through ``POST /result`` of a live server too.

``known_failures.txt`` lists the cases expected to fail (``process#index  reason``); it may only shrink: a
listed case that passes fails this test as much as an unlisted case that fails.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import requests
import xarray as xr

from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView, ProcessContext
from openeo_gip.processes.registry import offered
from tests.conftest import add_user, bearer_for, make_config
from tests.processes.official_cases import Case, decode, graph_arguments, load_cases, same
from tests.support.live_server import LiveServer
from tests.support.openapi import spec_dir
from tests.support.processes import PREDEFINED

KNOWN_FAILURES_FILE = Path(__file__).with_name("known_failures.txt")


def _known_failures() -> dict[str, str]:
    known = {}
    for line in KNOWN_FAILURES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, reason = line.partition(" ")
            known[key] = reason.strip()
    return known


KNOWN = _known_failures()
CASES = load_cases(spec_dir() / "process-tests", set(offered()))


def _process(case: Case) -> tuple[dict, dict]:
    arguments, parameters = graph_arguments(case)
    node = {"process_id": case.process_id, "arguments": arguments, "result": True}
    return {"process_graph": {"node": node}}, parameters


def _outcome(case: Case, run) -> str | None:
    """``None`` when the case is met, else what went wrong."""
    test = case.test
    expected_error = test.get("throws")
    try:
        actual = run()
    except ApiError as error:
        if expected_error is True or expected_error == error.code:
            return None
        return f"raised {error.code}: {error.message}"
    if "returns" not in test:
        return f"expected the error {expected_error}, got {actual!r}"
    expected = decode(test["returns"], case.folder)
    if same(actual, expected, test.get("delta", 1e-10)):
        return None
    return f"returned {actual!r}, expected {expected!r}"


def _check(case: Case, problem: str | None) -> None:
    if case.key in KNOWN:
        assert problem is not None, f"{case.key} passes now: remove it from known_failures.txt"
    else:
        assert problem is None, f"{case.key}: {problem}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.key)
def test_case_through_engine(case: Case):
    try:
        process, parameters = _process(case)
        decode(case.test.get("returns"), case.folder)
    except Exception as error:
        _check(case, f"the case cannot be read: {error!r}")
        return
    context = ProcessContext(services=None)
    _check(
        case,
        _outcome(case, lambda: run_process(process, context, processes=PREDEFINED, parameters=parameters)),
    )


def _plain_json(value) -> bool:
    """Finite numbers, strings, booleans, null and lists/objects of them: what JSON carries unchanged."""
    if isinstance(value, list):
        return all(_plain_json(item) for item in value)
    if isinstance(value, dict):
        return all(_plain_json(item) for item in value.values())
    if isinstance(value, float):
        return math.isfinite(value)
    return not isinstance(value, ArrayView | xr.DataArray)


def _over_http(case: Case) -> bool:
    try:
        process, parameters = _process(case)
        expected = decode(case.test.get("returns"), case.folder)
    except Exception:  # a case the suite encodes in a way this runner cannot read
        return False
    return not parameters and _plain_json(process) and _plain_json(expected)


HTTP_CASES = [case for case in CASES if _over_http(case)]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from openeo_gip.app import create_app

    folder = tmp_path_factory.mktemp("official")
    app = create_app(make_config(folder, f"sqlite:///{folder / 'db.sqlite'}"))
    add_user(app, "tester")
    with LiveServer(app) as server:
        with requests.Session() as session:
            session.headers.update(bearer_for(server.url, "tester"))
            yield server.url, session
    app.extensions["openeo_gip"].db.dispose()


@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda case: case.key)
def test_case_through_http(case: Case, live):
    url, session = live
    process, _ = _process(case)

    def run():
        response = session.post(f"{url}/result", json={"process": process}, timeout=60)
        if response.status_code >= 400:
            body = response.json()
            raise ApiError(body["code"], body["message"], status=response.status_code)
        assert response.headers["Content-Type"].startswith("application/json")
        return response.json()

    _check(case, _outcome(case, run))
