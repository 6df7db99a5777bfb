"""One server process per test module: hostile requests go to it, and it must outlive them."""

from __future__ import annotations

import pytest

from tests.support.server_process import ServerProcess


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("hostile")) as server:
        yield server
