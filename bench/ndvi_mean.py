"""Engine benchmark: two workloads through ``POST /result`` against plain rasterio + numpy doing the same.

    W1  load_collection(B04, B08) -> ndvi -> mean over t -> GTiff
    W2  load_collection(B04, B08, SCL) -> mask clouds (SCL 8, 9) -> median over t -> GTiff

    .venv/bin/python bench/ndvi_mean.py [--size 4096] [--dates 24] [--data bench/data]

The synthetic collection is written once per (size, dates) under ``--data`` and reused. openeo-gip runs as
a real ``openeo-gip serve`` process; its peak memory is the server's VmHWM. The baseline runs in a child
process; its peak is that child's maximum resident size. Both write a tiled, deflate-compressed GeoTIFF.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import rasterio
import requests

from openeo_gip.catalog import synthetic

CLOUDS = (synthetic.SCL["cloud_medium"], synthetic.SCL["cloud_high"])
ROWS = 512  # rows per block in the baseline: it streams, as a careful numpy user would


def _graph(workload: str) -> dict:
    bands = ["B04", "B08"] if workload == "W1" else ["B04", "B08", "SCL"]
    nodes: dict = {
        "load": {
            "process_id": "load_collection",
            "arguments": {"id": "S2", "spatial_extent": None, "temporal_extent": None, "bands": bands},
        }
    }
    if workload == "W1":
        nodes["index"] = {
            "process_id": "ndvi",
            "arguments": {"data": {"from_node": "load"}, "nir": "B08", "red": "B04"},
        }
        reducer, source = "mean", {"from_node": "index"}
    else:
        is_cloud = {
            "scl": {
                "process_id": "array_element",
                "arguments": {"data": {"from_parameter": "data"}, "label": "SCL"},
            },
            "c8": {"process_id": "eq", "arguments": {"x": {"from_node": "scl"}, "y": CLOUDS[0]}},
            "c9": {"process_id": "eq", "arguments": {"x": {"from_node": "scl"}, "y": CLOUDS[1]}},
            "any": {
                "process_id": "or",
                "arguments": {"x": {"from_node": "c8"}, "y": {"from_node": "c9"}},
                "result": True,
            },
        }
        nodes["cloud"] = {
            "process_id": "reduce_dimension",
            "arguments": {
                "data": {"from_node": "load"},
                "dimension": "bands",
                "reducer": {"process_graph": is_cloud},
            },
        }
        nodes["optical"] = {
            "process_id": "filter_bands",
            "arguments": {"data": {"from_node": "load"}, "bands": ["B04", "B08"]},
        }
        nodes["masked"] = {
            "process_id": "mask",
            "arguments": {"data": {"from_node": "optical"}, "mask": {"from_node": "cloud"}},
        }
        reducer, source = "median", {"from_node": "masked"}
    nodes["reduce"] = {
        "process_id": "reduce_dimension",
        "arguments": {
            "data": source,
            "dimension": "t",
            "reducer": {
                "process_graph": {
                    "r": {
                        "process_id": reducer,
                        "arguments": {"data": {"from_parameter": "data"}},
                        "result": True,
                    }
                }
            },
        },
    }
    nodes["save"] = {
        "process_id": "save_result",
        "arguments": {"data": {"from_node": "reduce"}, "format": "GTiff"},
        "result": True,
    }
    return {"process": {"process_graph": nodes}}


def _scenes(collection: Path) -> list[dict[str, Path]]:
    """Per date (in order), band name -> file, from the generator's ``S2_YYYYMMDD_BAND.tif`` names."""
    scenes: dict[str, dict[str, Path]] = {}
    for file in sorted(collection.glob("S2_*_*.tif")):
        _, date, band = file.stem.split("_")
        scenes.setdefault(date, {})[band] = file
    return [scenes[date] for date in sorted(scenes)]


def _read(scenes: list[dict[str, Path]], band: str, index: int, window) -> np.ndarray:
    with rasterio.open(scenes[index][band]) as source:
        data = source.read(1, window=window).astype(np.float32)
    data[data == 0] = np.nan
    return data


def _baseline(workload: str, scenes: list[dict[str, Path]], out: str) -> None:
    """The same reads, maths and write in plain numpy, block by block."""
    with rasterio.open(scenes[0]["B04"]) as first:
        profile, height, width = first.profile, first.height, first.width
    layers = 1 if workload == "W1" else 2
    profile.update(
        dtype="float32",
        count=layers,
        nodata=np.nan,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
    )
    with rasterio.open(out, "w", **profile) as target:
        for row in range(0, height, ROWS):
            window = rasterio.windows.Window(0, row, width, min(ROWS, height - row))
            if workload == "W1":
                total = np.zeros((window.height, width), np.float64)
                count = np.zeros((window.height, width), np.int32)
                for index in range(len(scenes)):
                    red, nir = _read(scenes, "B04", index, window), _read(scenes, "B08", index, window)
                    ndvi = (nir - red) / (nir + red)
                    valid = ~np.isnan(ndvi)
                    total[valid] += ndvi[valid]
                    count += valid
                with np.errstate(invalid="ignore", divide="ignore"):
                    target.write((total / count).astype(np.float32), 1, window=window)
            else:
                for layer, band in enumerate(("B04", "B08"), start=1):
                    stack = []
                    for index in range(len(scenes)):
                        values = _read(scenes, band, index, window)
                        scl = _read(scenes, "SCL", index, window)
                        values[np.isin(scl, CLOUDS)] = np.nan
                        stack.append(values)
                    with warnings.catch_warnings():  # all-NaN pixels: NaN is the expected answer
                        warnings.simplefilter("ignore", RuntimeWarning)
                        median = np.nanmedian(np.stack(stack), axis=0)
                    target.write(median.astype(np.float32), layer, window=window)


def _run_baseline(workload: str, scenes, out: str) -> tuple[float, float]:
    started = time.perf_counter()
    child = multiprocessing.get_context("fork").Process(target=_baseline, args=(workload, scenes, out))
    child.start()
    child.join()
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mib


def _largest_difference(one: Path, other: Path) -> float:
    """The results must agree, or the timings compare different work."""
    with rasterio.open(one) as a, rasterio.open(other) as b:
        x, y = a.read(), b.read()
    if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
        raise SystemExit(f"results differ in shape or nodata: {x.shape} vs {y.shape}")
    return float(np.nanmax(np.abs(x - y))) if np.isfinite(x).any() else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _server(folder: Path, data_root: Path) -> tuple[subprocess.Popen, str, dict]:
    port = _free_port()
    config = folder / "config.toml"
    settings = "[jobs]\nrunner_threads = 0\n[sync]\nmax_pixels = 10000000000\nmax_seconds = 3600\n"
    config.write_text(f'[paths]\ndata_root = "{data_root}"\n' + settings)
    cli = [sys.executable, "-m", "openeo_gip.cli", "--config", str(config)]
    subprocess.run(
        [*cli, "user", "add", "bench", "--password-stdin"],
        input="bench\n",
        text=True,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            token = requests.get(f"{url}/credentials/basic", auth=("bench", "bench"), timeout=5).json()[
                "access_token"
            ]
            return server, url, {"Authorization": f"Bearer basic//{token}"}
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--dates", type=int, default=24)
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()

    data_root = (args.data / f"ndvi-{args.size}-{args.dates}").resolve()
    collection = data_root / "S2"
    if not (collection / "collection.toml").exists():
        print(f"writing the synthetic collection to {collection} (once) ...", flush=True)
        synthetic.write_sentinel2_demo(collection, size=args.size, dates=args.dates, blocksize=512)
    scenes = _scenes(collection)
    print(f"machine: {os.cpu_count()} cores; collection {args.size}x{args.size}, {args.dates} dates")

    with tempfile.TemporaryDirectory() as folder:
        server, url, headers = _server(Path(folder), data_root)
        try:
            for workload in ("W1", "W2"):
                started = time.perf_counter()
                response = requests.post(
                    f"{url}/result", json=_graph(workload), headers=headers, timeout=3600
                )
                if not response.ok:
                    raise SystemExit(f"{workload} failed: {response.text}")
                gip_seconds = time.perf_counter() - started
                gip_peak = _peak_mib(server.pid)
                baseline = Path(folder) / f"{workload}.tif"
                base_seconds, base_peak = _run_baseline(workload, scenes, str(baseline))
                served = Path(folder) / f"{workload}-gip.tif"
                served.write_bytes(response.content)
                difference = _largest_difference(served, baseline)
                print(
                    f"{workload}: openeo-gip {gip_seconds:6.1f} s, peak {gip_peak:7.0f} MiB | "
                    f"numpy {base_seconds:6.1f} s, peak {base_peak:7.0f} MiB | "
                    f"time ratio {gip_seconds / base_seconds:4.2f} | largest difference {difference:.2g}"
                )
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
