"""Error documents: openEO schema, codes and statuses, never a traceback."""

import logging

import requests

from openeo_gip.errors import ERRORS, ApiError


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    # requests gives json(), the Flask test client get_json()
    body = response.get_json() if hasattr(response, "get_json") else response.json()
    assert set(body) >= {"id", "code", "message"}
    assert body["code"] == code
    assert body["message"] and body["id"]
    return body


def test_unknown_path_is_not_found(server):
    response = requests.get(server.url + "/no/such/thing", timeout=30)
    _assert_error(response, 404, "NotFound")


def test_wrong_method_is_405_with_openeo_body(server):
    response = requests.delete(server.url + "/conformance", timeout=30)
    _assert_error(response, 405, "MethodNotAllowed")
    assert "GET" in response.headers["Allow"]


def test_internal_error_returns_only_a_reference(app, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail /etc/passwd")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")
    body = _assert_error(response, 500, "Internal")
    assert "secret" not in response.get_data(as_text=True)
    assert body["id"] in body["message"]
    # The traceback is in the log, under the same reference.
    assert any(body["id"] in record.getMessage() and record.exc_info for record in caplog.records)


def test_statuses_follow_the_api_error_list():
    # A few codes whose statuses clients rely on.
    assert ERRORS["AuthenticationRequired"][0] == 401
    assert ERRORS["TokenInvalid"][0] == 403
    assert ERRORS["CollectionNotFound"][0] == 404
    error = ApiError("CollectionNotFound", identifier="S2")
    assert error.status == 404 and "S2" in error.message
    assert error.to_dict()["code"] == "CollectionNotFound"


def test_all_codes_and_statuses_equal_the_official_list():
    import json

    from tests.support.openapi import spec_dir

    official = json.loads((spec_dir() / "api" / "errors.json").read_text())
    for code, (status, _template) in ERRORS.items():
        if code in official:
            assert official[code]["http"] == status, code


def test_malformed_json_is_a_400_with_openeo_body(app):
    from openeo_gip.api.common import json_body

    @app.post("/echo")
    def echo():
        return {"got": json_body()}

    client = app.test_client()
    _assert_error(
        client.post("/echo", data=b"{not json", content_type="application/json"), 400, "JSONInvalid"
    )
    _assert_error(client.post("/echo", data=b"", content_type="application/json"), 400, "JSONInvalid")
    assert client.post("/echo", json={"a": 1}).get_json() == {"got": {"a": 1}}
