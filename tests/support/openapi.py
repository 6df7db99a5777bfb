"""Validation of real HTTP responses against the official openEO OpenAPI document."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

SPEC_ENV = "OPENEO_SPEC_DIR"


def spec_dir() -> Path:
    """The official specification folder (``OPENEO_SPEC_DIR`` or ``../shared/openeo-spec``)."""
    candidates = [os.environ.get(SPEC_ENV), Path(__file__).resolve().parents[3] / "shared" / "openeo-spec"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "api" / "openapi.yaml").exists():
            return Path(candidate)
    pytest.skip(f"openEO specification not found: set {SPEC_ENV} or place it at ../shared/openeo-spec")


def api_document(base_url: str) -> dict:
    """The official OpenAPI document as a dict, its servers replaced by ``base_url``."""
    document = yaml.safe_load((spec_dir() / "api" / "openapi.yaml").read_text(encoding="utf-8"))
    # The document names example hosts; the paths are matched against this test server instead.
    document["servers"] = [{"url": base_url}]
    for path_item in document["paths"].values():
        path_item.pop("servers", None)
        for operation in path_item.values():
            if isinstance(operation, dict):
                operation.pop("servers", None)
    # Its data-type schema is a oneOf whose branches all match a schema without `subtype`, so no
    # plain schema could ever pass; the evident intent is "any of".
    data_type = document["components"]["schemas"]["process_json_schema"]
    data_type["anyOf"] = data_type.pop("oneOf")
    return document


@functools.cache
def _openapi(base_url: str) -> OpenAPI:
    return OpenAPI.from_dict(api_document(base_url))


def assert_valid_response(base_url: str, response: requests.Response) -> None:
    """Fail with openapi-core's explanation when ``response`` does not match the API document."""
    request = RequestsOpenAPIRequest(response.request)
    _openapi(base_url).validate_response(request, RequestsOpenAPIResponse(response))
