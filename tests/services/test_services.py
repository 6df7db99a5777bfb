"""Secondary web services (XYZ, WMTS) on a real server: the openEO endpoints, checked against the API
document, and the map tiles they serve, checked pixel by pixel against the source raster with numpy."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
import requests
from affine import Affine
from rasterio.enums import Resampling
from rasterio.io import MemoryFile

from openeo_gip.demodata import synthetic
from openeo_gip.services.render import colour_table
from tests.conftest import PASSWORD, add_user, bearer_for, make_config
from tests.support.openapi import assert_valid_response

pytestmark = pytest.mark.slow

COLLECTION = "DEM_DEMO"
S2_DATES = [dt.date(2023, 6, 1), dt.date(2023, 6, 11)]
EDGE = math.pi * 6378137.0
ZOOM = 13
NODE_FOLDER = Path(__file__).parents[1] / "node"
WMTS = "{http://www.opengis.net/wmts/1.0}"
OWS = "{http://www.opengis.net/ows/1.1}"


@pytest.fixture
def config(tmp_path, db_url):
    """The tests' config, with a 64 x 64 elevation model (30 m, UTM 31N, a no-data corner) to draw."""
    config = make_config(tmp_path, db_url)
    synthetic.write_dem(config.paths.data_root / f"{COLLECTION}.tif", size=64)
    synthetic.write_sentinel2_demo(config.paths.data_root / "S2", size=64, dates=S2_DATES, blocksize=32)
    write_with_average_overviews(config.paths.data_root / "FINE.tif")
    return config


def write_with_average_overviews(path: Path) -> None:
    """512 x 512 noise at 10 m with overviews that average (so they match no single pixel of the file)."""
    values = np.random.default_rng(16).uniform(0, 100, (512, 512)).astype("float32")
    transform = Affine(10, 0, synthetic.S2_ORIGIN[0], 0, -10, synthetic.S2_ORIGIN[1])
    profile = {
        "driver": "GTiff",
        "width": 512,
        "height": 512,
        "count": 1,
        "dtype": "float32",
        "nodata": np.nan,
    }
    tiles = {"tiled": True, "blockxsize": 128, "blockysize": 128}
    with rasterio.open(path, "w", crs=synthetic.S2_CRS, transform=transform, **profile, **tiles) as target:
        target.write(values, 1)
        target.set_band_description(1, "noise")
        target.build_overviews([2, 4, 8], Resampling.average)


@pytest.fixture
def dem(config):
    with rasterio.open(config.paths.data_root / f"{COLLECTION}.tif") as source:
        return source.read(1), source.transform, source.crs, source.nodata


def dem_graph() -> dict:
    return {
        "process_graph": {
            "load": {
                "process_id": "load_collection",
                "arguments": {"id": COLLECTION, "spatial_extent": None, "temporal_extent": None},
                "result": True,
            }
        }
    }


def centre_tile(dem, zoom: int = ZOOM) -> tuple[int, int, int]:
    """The tile at ``zoom`` under the middle of a raster (``dem``: values, transform, crs, ...)."""
    values, transform, crs = dem[:3]
    x, y = transform * (values.shape[-1] / 2, values.shape[-2] / 2)
    mx, my = pyproj.Transformer.from_crs(crs, "EPSG:3857", always_xy=True).transform(x, y)
    size = 2 * EDGE / 2**zoom
    return zoom, int((mx + EDGE) // size), int((EDGE - my) // size)


def decode(png: bytes) -> np.ndarray:
    """``(4, 256, 256)`` red, green, blue, alpha of a PNG tile."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with MemoryFile(png) as memory, memory.open() as picture:
        return picture.read()


def under_tile_pixels(shape, transform, crs, tile: tuple[int, int, int], step: int = 8):
    """(row, col, source row and col or None) of tile pixels on a grid: the source pixel under each tile
    pixel's centre (``None`` outside the source); pixels near a source pixel's edge are left out, where
    nearest-neighbour reprojection may fairly pick either side."""
    z, tx, ty = tile
    size = 2 * EDGE / 2**z / 256
    to_source = pyproj.Transformer.from_crs("EPSG:3857", crs, always_xy=True)
    found = []
    for row in range(step // 2, 256, step):
        for col in range(step // 2, 256, step):
            mx = -EDGE + tx * 256 * size + (col + 0.5) * size
            my = EDGE - ty * 256 * size - (row + 0.5) * size
            fx, fy = ~transform * to_source.transform(mx, my)
            if min(fx % 1, 1 - fx % 1, fy % 1, 1 - fy % 1) < 0.05:
                continue
            inside = 0 <= fy < shape[0] and 0 <= fx < shape[1]
            found.append((row, col, (int(fy), int(fx)) if inside else None))
    return found


def sampled_source(dem, tile: tuple[int, int, int]):
    """(row, col, value or None) of tile pixels on a grid (``None`` outside the model or on no-data)."""
    values, transform, crs, nodata = dem
    samples = []
    for row, col, source in under_tile_pixels(values.shape, transform, crs, tile):
        value = values[source] if source is not None else None
        samples.append((row, col, None if value is None or value == nodata else float(value)))
    return samples


def expected_grey(value: float, low: float, high: float) -> int:
    return int(round(min(max((value - low) / (high - low), 0.0), 1.0) * 255))


def create(server, headers, **body) -> requests.Response:
    payload = {"type": "XYZ", "process": dem_graph(), **body}
    return requests.post(f"{server.url}/services", json=payload, headers=headers, timeout=30)


def describe(server, headers, service_id: str) -> dict:
    response = requests.get(f"{server.url}/services/{service_id}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert_valid_response(server.url, response)
    return response.json()


def tile_url(url: str, tile: tuple[int, int, int]) -> str:
    return f"{url}/{tile[0]}/{tile[1]}/{tile[2]}.png"


def assert_openeo_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and response.json()["message"]


def test_service_types_offer_xyz_and_wmts_with_their_settings(server):
    response = requests.get(f"{server.url}/service_types", timeout=30)

    assert_valid_response(server.url, response)
    types = response.json()
    assert set(types) == {"XYZ", "WMTS"}
    for offered in types.values():
        assert {"bands", "colormap", "min", "max", "tile_size"} <= set(offered["configuration"])
        assert "greys" in offered["configuration"]["colormap"]["enum"]
        assert offered["configuration"]["tile_size"]["default"] == 256
        assert [p["name"] for p in offered["process_parameters"]] == ["spatial_extent"]
    endpoints = {e["path"]: e["methods"] for e in requests.get(server.url, timeout=30).json()["endpoints"]}
    assert endpoints["/services"] == ["GET", "POST"] and endpoints["/services/{service_id}/logs"] == ["GET"]
    assert endpoints["/services/{service_id}"] == ["DELETE", "GET", "PATCH"]
    assert not [path for path in endpoints if path.startswith(("/tiles", "/wmts", "/previews"))]


def test_python_client_xyz_tiles_show_the_source_values_and_nothing_outside(server, connection, dem):
    cube = connection.load_collection(COLLECTION)
    service = cube.tiled_viewing_service(
        type="XYZ", title="Elevation", configuration={"colormap": "greys", "min": 0, "max": 100}
    )
    described = service.describe_service()
    assert described["type"] == "XYZ" and described["enabled"] is True and described["title"] == "Elevation"
    tile = centre_tile(dem)

    response = requests.get(tile_url(described["url"], tile), timeout=60)  # no login: the URL is the key

    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    picture = decode(response.content)
    assert picture.shape == (4, 256, 256)
    samples = sampled_source(dem, tile)
    drawn = [(r, c, v) for r, c, v in samples if v is not None]
    empty = [(r, c) for r, c, v in samples if v is None]
    assert len(drawn) > 50 and len(empty) > 50  # the model covers part of the tile
    for row, col, value in drawn:
        grey = expected_grey(value, 0, 100)
        assert tuple(picture[:, row, col]) == (grey, grey, grey, 255), (row, col, value)
    for row, col in empty:  # outside the data and on its no-data corner
        assert picture[3, row, col] == 0

    far = requests.get(tile_url(described["url"], (ZOOM, tile[1] + 20, tile[2])), timeout=60)
    assert far.status_code == 200
    assert (decode(far.content)[3] == 0).all()  # a whole tile outside the data: transparent, no error


def test_patch_draws_new_tiles_and_repeated_tiles_come_from_the_cache(server, alice, dem):
    headers = bearer_for(server.url, "alice")
    created = create(server, headers, configuration={"colormap": "greys", "min": 0, "max": 100})
    assert created.status_code == 201
    assert_valid_response(server.url, created)
    service_id = created.headers["OpenEO-Identifier"]
    assert created.headers["Location"] == f"{server.url}/services/{service_id}"
    url = describe(server, headers, service_id)["url"]
    tile = centre_tile(dem)
    row, col, value = next(s for s in sampled_source(dem, tile) if s[2] is not None)

    first = decode(requests.get(tile_url(url, tile), timeout=60).content)
    again = decode(requests.get(tile_url(url, tile), timeout=60).content)
    assert (first == again).all()
    assert describe(server, headers, service_id)["usage"]["tiles"]["value"] == 1  # drawn once

    patched = requests.patch(
        f"{server.url}/services/{service_id}",
        json={"configuration": {"colormap": "greys", "min": 20, "max": 60}},
        headers=headers,
        timeout=30,
    )
    assert patched.status_code == 204
    after = decode(requests.get(tile_url(url, tile), timeout=60).content)

    assert first[0, row, col] == expected_grey(value, 0, 100)
    assert after[0, row, col] == expected_grey(value, 20, 60) != first[0, row, col]
    assert describe(server, headers, service_id)["usage"]["tiles"]["value"] == 2


def test_the_secret_url_stops_with_disable_and_delete(server, alice, dem):
    headers = bearer_for(server.url, "alice")
    service_id = create(server, headers).headers["OpenEO-Identifier"]
    url = describe(server, headers, service_id)["url"]
    tile = tile_url(url, centre_tile(dem))
    assert requests.get(tile, timeout=60).status_code == 200

    def patch(enabled: bool) -> None:
        body = {"enabled": enabled}
        response = requests.patch(
            f"{server.url}/services/{service_id}", json=body, headers=headers, timeout=30
        )
        assert response.status_code == 204

    patch(False)
    assert_openeo_error(requests.get(tile, timeout=30), 403, "PermissionsInsufficient")
    patch(True)
    assert requests.get(tile, timeout=60).status_code == 200
    wrong = url.rsplit("/", 1)[0] + "/" + "x" * 43
    assert_openeo_error(requests.get(tile_url(wrong, centre_tile(dem)), timeout=30), 404, "ServiceNotFound")

    deleted = requests.delete(f"{server.url}/services/{service_id}", headers=headers, timeout=30)
    assert deleted.status_code == 204
    assert_openeo_error(requests.get(tile, timeout=30), 404, "ServiceNotFound")
    gone = requests.get(f"{server.url}/services/{service_id}", headers=headers, timeout=30)
    assert_openeo_error(gone, 404, "ServiceNotFound")


def test_other_users_neither_see_nor_change_a_service(server, app, alice):
    add_user(app, "bob")
    alice_headers, bob_headers = bearer_for(server.url, "alice"), bearer_for(server.url, "bob")
    service_id = create(server, alice_headers, title="alice's").headers["OpenEO-Identifier"]
    base = f"{server.url}/services/{service_id}"

    listed = requests.get(f"{server.url}/services", headers=bob_headers, timeout=30)
    assert_valid_response(server.url, listed)
    assert listed.json()["services"] == []
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/logs")):
        body = {"title": "bob's"} if method == "PATCH" else None
        response = requests.request(method, base + path, json=body, headers=bob_headers, timeout=30)
        assert_openeo_error(response, 404, "ServiceNotFound")
    assert describe(server, alice_headers, service_id)["title"] == "alice's"
    mine = requests.get(f"{server.url}/services", headers=alice_headers, timeout=30)
    assert_valid_response(server.url, mine)
    assert [s["id"] for s in mine.json()["services"]] == [service_id]
    assert requests.get(f"{server.url}/services", timeout=30).status_code == 401


def test_bad_services_get_clear_errors(server, alice):
    headers = bearer_for(server.url, "alice")
    assert_openeo_error(create(server, headers, type="WMS"), 400, "ServiceUnsupported")
    assert_openeo_error(create(server, headers, configuration={"zoom": 3}), 400, "ServiceConfigUnsupported")
    wrong = [{"colormap": "rainbow"}, {"min": 5, "max": 1}, {"tile_size": 512}, {"bands": []}]
    # A list where a name belongs, and a number no float holds (JSON has no limit on digits).
    wrong += [{"colormap": ["viridis"]}, {"min": 10**400}]
    for configuration in wrong:
        assert_openeo_error(create(server, headers, configuration=configuration), 400, "ServiceConfigInvalid")
    unknown = {"process_graph": {"load": {**dem_graph()["process_graph"]["load"]}}}
    unknown["process_graph"]["load"]["arguments"] = {
        "id": "NOPE",
        "spatial_extent": None,
        "temporal_extent": None,
    }
    assert_openeo_error(create(server, headers, process=unknown), 404, "CollectionNotFound")
    assert requests.get(f"{server.url}/services", headers=headers, timeout=30).json()["services"] == []


def test_a_failing_tile_is_an_error_and_lands_in_the_service_log(server, alice, dem):
    headers = bearer_for(server.url, "alice")
    created = create(server, headers, configuration={"bands": ["B04"]})  # the model has no band B04
    service_id = created.headers["OpenEO-Identifier"]
    url = describe(server, headers, service_id)["url"]

    response = requests.get(tile_url(url, centre_tile(dem)), timeout=60)

    assert_openeo_error(response, 400, "ServiceConfigInvalid")
    logs = requests.get(f"{server.url}/services/{service_id}/logs", headers=headers, timeout=30)
    assert_valid_response(server.url, logs)
    entries = logs.json()["logs"]
    assert len(entries) == 1 and entries[0]["level"] == "error" and "B04" in entries[0]["message"]
    assert entries[0]["code"] == "ServiceConfigInvalid"


def test_wmts_capabilities_and_tiles_for_qgis(server, alice, dem):
    headers = bearer_for(server.url, "alice")
    created = create(server, headers, type="wmts", title="Elevation WMTS")
    assert created.status_code == 201
    described = describe(server, headers, created.headers["OpenEO-Identifier"])
    url = described["url"]
    assert described["type"] == "WMTS"

    kvp = requests.get(url, params={"SERVICE": "WMTS", "REQUEST": "GetCapabilities"}, timeout=30)
    restful = requests.get(f"{url}/WMTSCapabilities.xml", timeout=30)
    assert kvp.status_code == restful.status_code == 200 and kvp.content == restful.content
    root = ET.fromstring(kvp.content)
    layer = root.find(f"{WMTS}Contents/{WMTS}Layer")
    assert layer.findtext(f"{OWS}Title") == "Elevation WMTS"
    assert layer.findtext(f"{WMTS}TileMatrixSetLink/{WMTS}TileMatrixSet") == "GoogleMapsCompatible"
    matrix_set = root.find(f"{WMTS}Contents/{WMTS}TileMatrixSet")
    assert matrix_set.findtext(f"{OWS}SupportedCRS") == "urn:ogc:def:crs:EPSG::3857"
    matrices = matrix_set.findall(f"{WMTS}TileMatrix")
    assert (
        matrices[0].findtext(f"{WMTS}MatrixWidth") == "1"
        and matrices[13].findtext(f"{WMTS}MatrixWidth") == "8192"
    )
    assert math.isclose(
        float(matrices[0].findtext(f"{WMTS}ScaleDenominator")), 559082264.0287178, rel_tol=1e-9
    )

    z, x, y = centre_tile(dem)
    template = layer.find(f"{WMTS}ResourceURL").get("template")
    by_template = (
        template.replace("{TileMatrix}", str(z)).replace("{TileRow}", str(y)).replace("{TileCol}", str(x))
    )
    by_kvp = requests.get(
        url,
        params={
            "SERVICE": "WMTS",
            "REQUEST": "GetTile",
            "LAYER": described["id"],
            "TILEMATRIXSET": "GoogleMapsCompatible",
            "TILEMATRIX": z,
            "TILEROW": y,
            "TILECOL": x,
            "FORMAT": "image/png",
        },
        timeout=60,
    )
    restful_tile = requests.get(by_template, timeout=60)
    assert by_kvp.status_code == restful_tile.status_code == 200
    assert (decode(by_kvp.content) == decode(restful_tile.content)).all()
    assert decode(by_kvp.content)[3].any()
    # "²" passes str.isdigit(), yet is no number of a tile.
    odd = requests.get(
        url, params={"REQUEST": "GetTile", "TILEMATRIX": "²", "TILEROW": y, "TILECOL": x}, timeout=30
    )
    assert_openeo_error(odd, 400, "ParameterInvalid")

    with rasterio.open(f"WMTS:{url}?SERVICE=WMTS&REQUEST=GetCapabilities") as opened:  # GDAL, as QGIS
        assert opened.crs.to_epsg() == 3857
        assert opened.width == 256 * 2**20 and opened.count == 4


def test_js_client_creates_lists_and_changes_a_service(server, alice, dem):
    if shutil.which("node") is None or not (NODE_FOLDER / "node_modules" / "@openeo" / "js-client").is_dir():
        pytest.fail("Node.js and the openEO JS client are needed: run `make node-deps`")
    command = ["node", "js_client_services.mjs", server.url, "alice", PASSWORD, COLLECTION]
    finished = subprocess.run(command, cwd=NODE_FOLDER, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    seen = json.loads(finished.stdout)

    assert set(seen["types"]) == {"XYZ", "WMTS"}
    assert seen["listed"] == [seen["id"]] and seen["type"] == "XYZ" and seen["enabled"] is True
    assert seen["title"] == "Renamed in JS" and seen["configuration"] == {"colormap": "terrain"}
    tile = requests.get(tile_url(seen["url"], centre_tile(dem)), timeout=60)
    assert tile.status_code == 200 and decode(tile.content)[3].any()


def _run_to_the_end(job) -> None:
    job.start()
    deadline = time.monotonic() + 60
    while job.status() not in ("finished", "error", "canceled") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert job.status() == "finished"


def _preview_template(server, job, headers) -> str:
    results = requests.get(f"{server.url}/jobs/{job.job_id}/results", headers=headers, timeout=30)
    return next(link["href"] for link in results.json()["links"] if link["rel"] == "xyz")


def test_a_finished_job_links_map_tiles_of_its_geotiff(server, connection, dem):
    job = connection.load_collection(COLLECTION).save_result("GTiff").create_job(title="preview")
    _run_to_the_end(job)
    headers = {"Authorization": connection.auth.bearer and f"Bearer {connection.auth.bearer}"}
    results = requests.get(f"{server.url}/jobs/{job.job_id}/results", headers=headers, timeout=30)
    assert_valid_response(server.url, results)
    previews = [link for link in results.json()["links"] if link["rel"] == "xyz"]
    assert len(previews) == 1 and previews[0]["type"] == "image/png"
    template = previews[0]["href"]
    assert template.endswith("/{z}/{x}/{y}.png")
    z, x, y = centre_tile(dem)

    preview = requests.get(template.format(z=z, x=x, y=y), timeout=60)  # no login: the link is signed

    assert preview.status_code == 200
    # The same pixels as a service of the source collection with the default style, tile for tile.
    service = connection.load_collection(COLLECTION).tiled_viewing_service(type="XYZ").describe_service()
    drawn = decode(requests.get(tile_url(service["url"], (z, x, y)), timeout=60).content)
    assert (decode(preview.content) == drawn).all() and drawn[3].any() and not drawn[3].all()
    forged = template.replace("/previews/", "/previews/x").format(z=z, x=x, y=y)
    assert_openeo_error(requests.get(forged, timeout=30), 403, "LinkInvalid")


def test_a_rerun_job_previews_its_new_result_not_the_cached_tiles_of_the_old(server, connection, dem):
    job = connection.load_collection(COLLECTION).save_result("GTiff").create_job(title="rerun")
    _run_to_the_end(job)
    headers = {"Authorization": f"Bearer {connection.auth.bearer}"}
    z, x, y = centre_tile(dem)
    before = decode(
        requests.get(_preview_template(server, job, headers).format(z=z, x=x, y=y), timeout=60).content
    )
    # The same job again, its result file rewritten with the values upside down.
    negated = connection.load_collection(COLLECTION).apply(lambda value: value * -1).save_result("GTiff")
    patch = {"process": {"process_graph": negated.flat_graph()}}
    assert requests.patch(f"{server.url}/jobs/{job.job_id}", json=patch, headers=headers, timeout=30).ok
    _run_to_the_end(job)

    after = decode(
        requests.get(_preview_template(server, job, headers).format(z=z, x=x, y=y), timeout=60).content
    )

    shown = before[3] > 0
    assert shown.any() and ((after[3] > 0) == shown).all()
    # Each tile stretches from its smallest to its largest value: negated values take the colours of the
    # ramp in reverse.
    ramp = {tuple(colour): index for index, colour in enumerate(colour_table("viridis").tolist())}
    steps_before = np.array([ramp[tuple(colour)] for colour in before[:3, shown].T.tolist()])
    steps_after = np.array([ramp[tuple(colour)] for colour in after[:3, shown].T.tolist()])
    assert np.abs(steps_before + steps_after - 255).max() <= 1 and steps_before.std() > 10


def test_three_bands_are_red_green_blue_of_each_pixels_latest_date(server, config, alice):
    s2 = synthetic.Sentinel2Demo(config.paths.data_root / "S2", 64, S2_DATES, 0, 32)
    rgb = ["B04", "B03", "B02"]
    load = {"id": "S2", "spatial_extent": None, "temporal_extent": None, "bands": rgb}
    process = {
        "process_graph": {"load": {"process_id": "load_collection", "arguments": load, "result": True}}
    }
    headers = bearer_for(server.url, "alice")
    created = create(server, headers, process=process, configuration={"bands": rgb, "min": 0, "max": 3000})
    url = describe(server, headers, created.headers["OpenEO-Identifier"])["url"]
    stack = np.stack([[s2.array(band, index) for band in rgb] for index in range(len(S2_DATES))]).astype(
        float
    )
    stack[stack == 0] = np.nan  # the demo's no-data
    tile = centre_tile((stack[0, 0], s2.transform, s2.crs), zoom=15)

    picture = decode(requests.get(tile_url(url, tile), timeout=60).content)

    checked = changed = 0
    for row, col, source in under_tile_pixels(stack.shape[-2:], s2.transform, s2.crs, tile):
        if source is None:
            assert picture[3, row, col] == 0
            continue
        latest, earlier = stack[1][:, source[0], source[1]], stack[0][:, source[0], source[1]]
        values = np.where(np.isnan(latest), earlier, latest)
        if np.isnan(values).any():
            assert picture[3, row, col] == 0
            continue
        expected = tuple(expected_grey(value, 0, 3000) for value in values)
        assert tuple(picture[:3, row, col]) == expected and picture[3, row, col] == 255
        checked += 1
        changed += not np.array_equal(latest, earlier)
    assert checked > 200 and changed > 50  # the dates differ: the latest one is drawn


def test_a_bounding_box_of_the_process_still_limits_what_tiles_show(server, alice, dem):
    values, transform, crs, nodata = dem
    west, north = transform * (0, 0)
    east, south = transform * (32, 64)  # the western half of the model
    graph = dem_graph()
    graph["process_graph"]["load"]["arguments"]["spatial_extent"] = {
        "west": west,
        "south": south,
        "east": east,
        "north": north,
        "crs": 32631,
    }
    headers = bearer_for(server.url, "alice")
    created = create(
        server, headers, process=graph, configuration={"colormap": "greys", "min": 0, "max": 100}
    )
    url = describe(server, headers, created.headers["OpenEO-Identifier"])["url"]
    tile = centre_tile(dem)

    picture = decode(requests.get(tile_url(url, tile), timeout=60).content)

    inside = outside = 0
    for row, col, source in under_tile_pixels(values.shape, transform, crs, tile):
        if source is None or values[source] == nodata:
            continue
        if source[1] < 32:
            grey = expected_grey(float(values[source]), 0, 100)
            assert tuple(picture[:, row, col]) == (grey, grey, grey, 255)
            inside += 1
        else:
            assert picture[3, row, col] == 0
            outside += 1
    assert inside > 20 and outside > 20


def test_a_low_zoom_tile_is_read_from_the_overviews(server, config, alice):
    path = config.paths.data_root / "FINE.tif"
    with rasterio.open(path, overview_level=1) as overview:  # 4 x 4 pixels averaged, 40 m
        coarse = (overview.read(1), overview.transform, overview.crs, None)
    graph = dem_graph()
    graph["process_graph"]["load"]["arguments"]["id"] = "FINE"
    headers = bearer_for(server.url, "alice")
    created = create(
        server, headers, process=graph, configuration={"colormap": "greys", "min": 0, "max": 100}
    )
    url = describe(server, headers, created.headers["OpenEO-Identifier"])["url"]
    tile = centre_tile(coarse, zoom=11)  # tile pixels of 76 m in Web Mercator, about 48 m on the ground

    picture = decode(requests.get(tile_url(url, tile), timeout=60).content)

    drawn = [(r, c, v) for r, c, v in sampled_source(coarse, tile) if v is not None]
    assert len(drawn) > 100
    for row, col, value in drawn:  # the overview's averages, not the file's own pixels
        assert picture[0, row, col] == expected_grey(value, 0, 100)
    assert np.ptp(picture[0][picture[3] > 0]) < 200  # averages of 0-100 noise: none near 0 or 100
