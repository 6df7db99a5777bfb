"""GET /collections, /collections/{id} and /collections/{id}/queryables through a real HTTP server."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from openeo_gip.catalog.index import refresh_index
from openeo_gip.demodata import synthetic
from tests.conftest import make_config
from tests.support.openapi import assert_valid_response, spec_dir

S2 = "SENTINEL2_L2A_DEMO"


@pytest.fixture
def config(tmp_path, db_url):
    """The demo data root (small) written before the app, so the app's start-up scan finds it."""
    config = make_config(tmp_path, db_url)
    synthetic.write_demo_data(config.paths.data_root, small=True)
    return config


def _get(server, path, **kwargs):
    response = requests.get(f"{server.url}{path}", timeout=30, **kwargs)
    assert_valid_response(server.url, response)
    return response


def test_list_collections(server):
    response = _get(server, "/collections")
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body["collections"]] == ["DEM_DEMO", S2, "TEMPERATURE_DEMO"]
    first = body["collections"][1]
    assert first["title"] == "Sentinel-2 L2A (synthetic demo)" and "cube:dimensions" not in first
    assert {link["rel"] for link in body["links"]} == {"self", "root"}


def test_paging_with_limit_and_next_links(server):
    body = _get(server, "/collections", params={"limit": 2}).json()
    assert [c["id"] for c in body["collections"]] == ["DEM_DEMO", S2]
    next_link = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert next_link.startswith(server.url)
    second = requests.get(next_link, timeout=30)
    assert_valid_response(server.url, second)
    assert [c["id"] for c in second.json()["collections"]] == ["TEMPERATURE_DEMO"]
    assert not any(link["rel"] == "next" for link in second.json()["links"])
    for params in ({"limit": "zero"}, {"limit": "0"}, {"limit": "²"}, {"limit": 2, "next": "²"}):
        bad = _get(server, "/collections", params=params)
        assert bad.status_code == 400 and bad.json()["code"] == "ParameterInvalid", params


def test_collection_detail_matches_the_generator(server, config):
    response = _get(server, f"/collections/{S2}")
    assert response.status_code == 200
    doc = response.json()
    demo = synthetic.Sentinel2Demo(config.paths.data_root / S2, 64, synthetic.default_dates(3), 0, 128)
    west, south, east, north = demo.bounds
    dims = doc["cube:dimensions"]
    assert dims["x"]["extent"] == [west, east] and dims["y"]["extent"] == [south, north]
    assert dims["t"]["values"] == [f"{day:%Y-%m-%d}T00:00:00Z" for day in demo.dates]
    assert dims["bands"]["values"] == demo.bands
    assert doc["summaries"]["proj:code"] == ["EPSG:32631"]
    assert doc["summaries"]["platform"] == ["sentinel-2-synthetic"]
    queryables = next(link for link in doc["links"] if link["rel"].endswith("/queryables"))
    assert queryables["href"] == f"{server.url}/collections/{S2}/queryables"
    nc = _get(server, "/collections/TEMPERATURE_DEMO").json()
    assert nc["cube:dimensions"]["t"]["step"] == "P1D" and nc["license"] == "CC0-1.0"


def test_unknown_collection_is_404(server):
    response = _get(server, "/collections/NOT_THERE")
    assert response.status_code == 404 and response.json()["code"] == "CollectionNotFound"
    response = _get(server, "/collections/NOT_THERE/queryables")
    assert response.status_code == 404 and response.json()["code"] == "CollectionNotFound"


def _validate_schema_json(base_url: str, response: requests.Response) -> None:
    """Like ``assert_valid_response``, with a JSON reader for ``application/schema+json`` bodies."""
    document = yaml.safe_load((spec_dir() / "api" / "openapi.yaml").read_text(encoding="utf-8"))
    document["servers"] = [{"url": base_url}]
    for path_item in document["paths"].values():
        path_item.pop("servers", None)
    openapi = OpenAPI.from_dict(
        document, config=Config(extra_media_type_deserializers={"application/schema+json": json.loads})
    )
    openapi.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))


def test_queryables(server, config):
    response = requests.get(f"{server.url}/collections/{S2}/queryables", timeout=30)
    _validate_schema_json(server.url, response)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/schema+json")
    properties = response.json()["properties"]
    cloud = {"type": "number", "minimum": 0, "maximum": 100, "title": "Cloud Cover"}
    assert properties["eo:cloud_cover"] == cloud
    assert properties["platform"] == {"type": "string", "enum": ["sentinel-2-synthetic"]}


def test_invalid_token_is_refused_and_no_token_is_fine(server):
    response = _get(server, "/collections", headers={"Authorization": "Bearer basic//nonsense"})
    assert response.status_code == 403 and response.json()["code"] == "TokenInvalid"


def test_index_rewritten_by_another_process_is_picked_up(server, config):
    synthetic.write_dem(config.paths.data_root / "NEW_DEM.tif", size=16, seed=4)
    report = refresh_index(config.paths.data_root, config.paths.system_files)  # what `catalog scan` does
    assert report.scanned == ["NEW_DEM"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if _get(server, "/collections/NEW_DEM").status_code == 200:
            break
        time.sleep(0.2)
    assert _get(server, "/collections/NEW_DEM").json()["cube:dimensions"]["bands"]["values"] == ["elevation"]


def test_the_collection_list_follows_a_rewritten_index(server, config):
    """The list is served from a cache of serialised pages, which a new catalogue version replaces."""
    first_page = _get(server, "/collections?limit=1").json()
    before = [entry["id"] for entry in _get(server, "/collections").json()["collections"]]
    assert "NEW_DEM" not in before
    synthetic.write_dem(config.paths.data_root / "NEW_DEM.tif", size=16, seed=4)
    refresh_index(config.paths.data_root, config.paths.system_files)
    deadline, listed = time.monotonic() + 5, before
    while "NEW_DEM" not in listed and time.monotonic() < deadline:
        time.sleep(0.2)
        listed = [entry["id"] for entry in _get(server, "/collections").json()["collections"]]
    assert listed == sorted([*before, "NEW_DEM"])
    # Another page of the same catalogue version is its own entry, not the whole list.
    assert _get(server, "/collections?limit=1").json() == first_page


def test_five_hundred_collections_are_listed_from_the_index(tmp_path, db_url):
    from openeo_gip.app import create_app
    from tests.support.live_server import LiveServer

    config = make_config(tmp_path, db_url)
    root = config.paths.data_root
    root.mkdir(parents=True)
    data = np.ones((4, 4), np.uint8)
    for number in range(500):
        transform = synthetic.Affine(10, 0, 400000 + 40 * number, 0, -10, 5000000)
        synthetic.write_cog(root / f"c{number:03d}.tif", data, transform, "EPSG:32631", None, "b")
    refresh_index(root, config.paths.system_files)
    app = create_app(config)
    try:
        with LiveServer(app) as live:
            response = requests.get(f"{live.url}/collections", timeout=30)
            assert len(response.json()["collections"]) == 500
            detail = requests.get(f"{live.url}/collections/c250", timeout=30).json()
            assert detail["cube:dimensions"]["x"]["extent"] == [400000 + 40 * 250, 400000 + 40 * 251]
    finally:
        app.extensions["openeo_gip"].db.dispose()
