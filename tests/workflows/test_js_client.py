"""The openEO JavaScript client (what the Web Editor uses) and the Python client, against the same server.

One real server process serves both. ``tests/node/js_client_scenarios.mjs`` runs every scenario with
``@openeo/js-client`` under Node (installed by ``make node-deps``), ``tests/support/python_client_scenarios``
does the same with the ``openeo`` Python client, each as its own user; every test checks both clients, and
the values of results against numpy on the stored rasters.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import requests

from openeo_gip.demodata import synthetic
from tests.conftest import PASSWORD
from tests.support import python_client_scenarios
from tests.support.oidc_provider import RealOidcProvider
from tests.support.python_client_scenarios import OidcLogin
from tests.support.results import all_nan_is_fine, read_tif, source
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.slow

NODE_FOLDER = Path(__file__).parents[1] / "node"
JS_SCENARIOS = NODE_FOLDER / "js_client_scenarios.mjs"
DATES = [dt.date(2023, 1, 5), dt.date(2023, 1, 20), dt.date(2023, 2, 4), dt.date(2023, 3, 6)]
# More collections than a page of the clients' paged listings (the JavaScript client's pages hold 50).
EXTRA_COLLECTIONS = [f"PLOT_{number:02}" for number in range(59)]
USERS = {"js": "alice", "python": "bob"}
JS_ONLY_SCENARIOS = ["paging"]
CLIENTS = list(USERS)


@dataclass
class Site:
    server: ServerProcess
    s2: synthetic.Sentinel2Demo
    results: dict[str, dict[str, dict]]  # client -> scenario -> what the client returned


def run_js_client(url: str, user: str, workdir: Path, names: list[str], oidc: OidcLogin) -> dict[str, dict]:
    if shutil.which("node") is None or not (NODE_FOLDER / "node_modules" / "@openeo" / "js-client").is_dir():
        pytest.fail("Node.js and the openEO JS client are needed: run `make node-deps`")
    command = ["node", str(JS_SCENARIOS), url, user, PASSWORD, str(workdir), *names]
    environ = {
        **os.environ,
        "OPENEO_OIDC_PROVIDER": oidc.provider_id,
        "OPENEO_OIDC_CLIENT_ID": oidc.client_id,
        "OPENEO_OIDC_CLIENT_SECRET": oidc.client_secret,
    }
    finished = subprocess.run(
        command, cwd=NODE_FOLDER, env=environ, capture_output=True, text=True, timeout=180
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


@pytest.fixture(scope="module")
def site(tmp_path_factory, oidc_provider: RealOidcProvider) -> Site:
    """The server, with passwords and the real OpenID provider as the university's sign-on ``uni``."""
    folder = tmp_path_factory.mktemp("js-client")
    s2 = synthetic.write_sentinel2_demo(folder / "data" / "S2", size=64, dates=DATES, blocksize=32)
    for name in EXTRA_COLLECTIONS:
        synthetic.write_dem(folder / "data" / f"{name}.tif", size=8)
    robot = OidcLogin("uni", oidc_provider.robot.id, oidc_provider.robot.secret)
    with ServerProcess(folder, demo_data=False, config_text=oidc_provider.toml("uni")) as server:
        names = list(python_client_scenarios.SCENARIOS)
        results = {}
        for client, user in USERS.items():
            workdir = folder / client
            workdir.mkdir()
            if client == "js":
                results[client] = run_js_client(server.url, user, workdir, names + JS_ONLY_SCENARIOS, robot)
            else:
                results[client] = python_client_scenarios.run(
                    server.url, user, PASSWORD, workdir, names, robot
                )
        yield Site(server, s2, results)


def outcome(site: Site, client: str, scenario: str) -> dict:
    result = site.results[client][scenario]
    assert "error" not in result, f"{client} client, {scenario}: {result}"
    return result


def expected_ndvi(s2: synthetic.Sentinel2Demo) -> np.ndarray:
    """The NDVI of every date from the stored integers, (t, y, x)."""
    red, nir = source(s2, "B04"), source(s2, "B08")
    return (nir - red) / (nir + red)


def assert_ndvi_mean(path: str | Path, s2: synthetic.Sentinel2Demo) -> None:
    actual = read_tif(Path(path).read_bytes())
    with all_nan_is_fine():
        expected = np.nanmean(expected_ndvi(s2), axis=0)
    assert actual.shape == (1, 64, 64)
    np.testing.assert_allclose(actual[0], expected, rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("client", CLIENTS)
def test_capabilities(site, client):
    result = outcome(site, client, "capabilities")
    assert result["api_version"] == "1.2.0"
    assert result["backend_version"] == requests.get(site.server.url, timeout=30).json()["backend_version"]
    assert {"gtiff", "netcdf", "json"} <= {name.lower() for name in result["output_formats"]}
    assert sorted(result["auth_providers"]) == ["basic", "oidc"]
    if client == "js":  # the JS client derives what it may call from the endpoints of GET /
        assert all(result["features"].values()), result["features"]


@pytest.mark.parametrize("client", CLIENTS)
def test_basic_login(site, client):
    result = outcome(site, client, "login")
    me = requests.get(f"{site.server.url}/me", headers=site.server.token(USERS[client]), timeout=30).json()
    assert result["authenticated"] is True
    assert result["user_id"] == me["user_id"]
    assert result["wrong_password"]["status"] == 403
    assert result["wrong_password"]["code"] == "CredentialsInvalid"


@pytest.mark.parametrize("client", CLIENTS)
def test_oidc_client_credentials_login(site, client):
    result = outcome(site, client, "oidc_login")
    # the account of the provider's client, made at its first login, runs a process
    assert result["account"] == "gip-robot@uni"
    assert result["sum"] == 8


@pytest.mark.parametrize("client", CLIENTS)
def test_lists_every_collection_and_process(site, client):
    result = outcome(site, client, "discovery")
    assert sorted(result["collections"]) == sorted(["S2", *EXTRA_COLLECTIONS])
    everything = requests.get(f"{site.server.url}/processes", timeout=30).json()["processes"]
    assert len(everything) >= 146
    # the JavaScript client asks for 50 processes and follows no next link: it must get all of them
    assert sorted(result["processes"]) == sorted(process["id"] for process in everything)
    assert result["s2"] == {
        "id": "S2",
        "dimensions": ["x", "y", "t", "bands"],
        "bands": ["B02", "B03", "B04", "B08", "SCL"],
    }
    if client == "js":
        assert result["builder_has_load_collection"] is True


@pytest.mark.parametrize("client", CLIENTS)
def test_ndvi_mean_computed_synchronously(site, client):
    result = outcome(site, client, "ndvi_sync")
    assert_ndvi_mean(result["file"], site.s2)


@pytest.mark.parametrize("client", CLIENTS)
def test_batch_job_logs_and_results(site, client):
    result = outcome(site, client, "batch_job")
    assert result["statuses"][0] == "created" and result["statuses"][-1] == "finished", result["statuses"]
    assert result["id"] in result["listed"]
    assert result["title"] == ("JS" if client == "js" else "Python") + " NDVI mean"
    messages = [entry["message"] for entry in result["logs"]]
    assert messages[0].startswith("Queued") and messages[-1].startswith("Finished"), messages
    # asking again from the last entry on (offset=<its id>) gives nothing new
    assert result["logs_after_last"] == 0
    assert [asset["type"].split(";")[0] for asset in result["assets"]] == ["image/tiff"]
    # the downloaded GeoTIFF is named as one: the JavaScript client names each file after its link
    (tif,) = [path for path in result["downloaded"] if path.endswith(".tif")]
    assert_ndvi_mean(tif, site.s2)


@pytest.mark.parametrize("client", CLIENTS)
def test_files_upload_list_download_delete(site, client):
    result = outcome(site, client, "files")
    sent = Path(result["source"]).read_bytes()
    path = result["uploaded"]["path"]
    assert path.endswith("/sub folder/upload.bin")
    assert result["uploaded"]["size"] == len(sent)
    assert {"path": path, "size": len(sent)} in result["listed"]
    assert Path(result["downloaded"]).read_bytes() == sent
    assert path not in result["after_delete"]


@pytest.mark.parametrize("client", CLIENTS)
def test_user_defined_process_stored_used_and_deleted(site, client):
    result = outcome(site, client, "user_process")
    process_id = result["described"]["id"]
    assert process_id in result["listed"]
    assert result["described"]["summary"] == "NDVI times a factor"
    assert result["described"]["parameters"] == ["data", "factor"]
    actual = read_tif(Path(result["file"]).read_bytes())
    with all_nan_is_fine():
        expected = np.nanmax(100 * expected_ndvi(site.s2), axis=0)
    np.testing.assert_allclose(actual[0], expected, rtol=1e-5, equal_nan=True)
    assert process_id not in result["after_delete"]


@pytest.mark.parametrize("client", CLIENTS)
def test_validation(site, client):
    result = outcome(site, client, "validate")
    assert result["valid"] == []
    assert {"CollectionNotFound", "ProcessParameterRequired"} <= set(result["invalid"])


def test_js_client_pages_through_every_listing(site):
    result = outcome(site, "js", "paging")
    for listing, limit in (("collections", 7), ("jobs", 2), ("files", 2), ("process_graphs", 2)):
        paged = result[listing]
        assert len(paged["all"]) >= 3, listing
        assert paged["seen"] == paged["all"], listing
        assert paged["pages"] == math.ceil(len(paged["all"]) / limit), listing
    # processes come whole whatever the limit asks: a single page, and no next link
    assert result["processes"]["pages"] == 1
    assert result["processes"]["seen"] == result["processes"]["all"]
