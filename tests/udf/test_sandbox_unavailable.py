"""Without a working bubblewrap, UDFs are refused with a clear error, unless the administrator chose
``udf.sandbox = "none"``; the server's log says at start which of the two is in force."""

from __future__ import annotations

import pytest

from tests.support.server_process import ServerProcess, assert_openeo_error, assert_still_serving
from tests.support.udf_requests import run_udf

pytestmark = pytest.mark.slow

HARMLESS = "def apply_datacube(cube, context):\n    return cube + 1\n"


def test_without_bubblewrap_udfs_are_refused_and_the_log_says_why(tmp_path):
    sections = {"udf": {"bubblewrap": str(tmp_path / "no-such-bwrap")}}
    with ServerProcess(tmp_path / "server", sections=sections) as server:
        assert "UDFs are refused" in server.log_text() and "no-such-bwrap" in server.log_text()
        body = assert_openeo_error(run_udf(server, HARMLESS), 501, "FeatureUnsupported")
        assert "no sandbox" in body["message"] and "bubblewrap" in body["message"]
        assert "no-such-bwrap" not in body["message"], "the server's paths are for its log"
        assert_still_serving(server)


def test_with_sandbox_none_udfs_run_and_the_log_warns(tmp_path):
    sections = {"udf": {"bubblewrap": str(tmp_path / "no-such-bwrap"), "sandbox": "none"}}
    with ServerProcess(tmp_path / "server", sections=sections) as server:
        assert "UDFs run WITHOUT a sandbox" in server.log_text()
        response = run_udf(server, HARMLESS)
        assert response.status_code == 200, response.text
        assert_still_serving(server)
