"""Small rasters written by the project's generator, and a helper to scan a data root.

``data_root`` and ``s2`` are fixtures: the conftest of each folder whose tests read them imports them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openeo_gip.catalog.catalog import Catalog
from openeo_gip.catalog.index import index_path, refresh_index
from openeo_gip.demodata import synthetic


def scan(data_root: Path, system: Path) -> Catalog:
    """Scan ``data_root`` into the index under ``system`` and return the catalog reading it."""
    refresh_index(data_root, system)
    return Catalog(index_path(system))


@pytest.fixture
def data_root(tmp_path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    return root


@pytest.fixture
def s2(data_root) -> synthetic.Sentinel2Demo:
    """64 x 64 pixels, 3 dates, one COG per date and band."""
    return synthetic.write_sentinel2_demo(data_root / "SENTINEL2_L2A_DEMO", size=64, dates=3, blocksize=128)
