"""The ``openeo-gip demo-data`` and ``openeo-gip catalog scan`` commands, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import rasterio

from openeo_gip.demodata import synthetic

# Each test starts the openeo-gip command as a process: seconds per test.
pytestmark = pytest.mark.slow


def _cli(*args: str, env_config: str | None = None) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "openeo_gip.cli",
        *(["--config", env_config] if env_config else []),
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_demo_data_then_scan_reports_collections_and_broken_files(tmp_path):
    data = tmp_path / "data"
    result = _cli("demo-data", str(data), "--small")
    assert result.returncode == 0, result.stderr
    # The files are those the generator describes.
    demo = synthetic.Sentinel2Demo(data / "SENTINEL2_L2A_DEMO", 64, synthetic.default_dates(3), 0, 128)
    with rasterio.open(demo.path("B08", 2)) as src:
        assert np.array_equal(src.read(1), demo.array("B08", 2))
    config = tmp_path / "config.toml"
    config.write_text('[paths]\ndata_root = "data"\nsystem_files = "system"\n', encoding="utf-8")
    (data / "SENTINEL2_L2A_DEMO" / "S2_20230105_B11.tif").write_text("broken", encoding="utf-8")
    first = _cli("catalog", "scan", env_config=str(config))
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert {"scanned\tDEM_DEMO", "scanned\tSENTINEL2_L2A_DEMO", "scanned\tTEMPERATURE_DEMO"} <= set(lines)
    assert any(line.startswith("problem\tSENTINEL2_L2A_DEMO\tS2_20230105_B11.tif") for line in lines)
    assert lines[-1] == "3 collections, 3 scanned, 0 failed"
    second = _cli("catalog", "scan", env_config=str(config))
    assert second.stdout.splitlines()[-1] == "3 collections, 0 scanned, 0 failed"
    forced = _cli("catalog", "scan", "--force", env_config=str(config))
    assert forced.stdout.splitlines()[-1] == "3 collections, 3 scanned, 0 failed"


def test_full_size_demo_cog_has_tiles_and_overviews(tmp_path):
    demo = synthetic.write_sentinel2_demo(tmp_path / "s2", size=512, dates=1, blocksize=256, sidecar=False)
    with rasterio.open(demo.path("B04", 0)) as src:
        assert src.block_shapes[0] == (256, 256) and src.overviews(1) == [2]
        assert src.nodata == 0 and src.dtypes[0] == "uint16"
        assert src.tags()["CLOUD_COVER"] == str(demo.cloud_cover(0))
