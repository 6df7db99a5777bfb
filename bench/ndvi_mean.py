"""Engine benchmark: two workloads through ``POST /result`` against plain rasterio + numpy doing the same,
and the same graphs through openeo-processes-dask (``openeo.local.LocalConnection``).

    W1  load_collection(B04, B08) -> ndvi -> mean over t -> GTiff
    W2  load_collection(B04, B08, SCL) -> mask clouds (SCL 8, 9) -> median over t -> GTiff

    .venv/bin/python bench/ndvi_mean.py [--size 4096] [--dates 24] [--data bench/data]
                                        [--no-local] [--workload W1|W2 ...]

The synthetic collection is written once per (size, dates) under ``--data`` and reused. openeo-gip runs as
a real ``openeo-gip serve`` process, warmed up by one tiny request (a running server has started its Dask
cluster already); its peak memory is the server's VmHWM. The baseline runs in a child
process; its peak is that child's maximum resident size. Both write a tiled, deflate-compressed GeoTIFF.

openeo-processes-dask runs in its own environment, created once under ``bench/.venv-local`` (never in
openeo-gip's), through ``bench/local_processing.py``: it reads a netCDF stack of the same pixels written
once next to the COGs, and reports the seconds of processing + writing and its own peak resident size.
"""

from __future__ import annotations

import argparse
import copy
import json
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

from openeo_gip.demodata import synthetic

CLOUDS = (synthetic.SCL["cloud_medium"], synthetic.SCL["cloud_high"])
ROWS = 512  # rows per block in the baseline: it streams, as a careful numpy user would
BENCH = Path(__file__).resolve().parent
LOCAL_VENV = BENCH / ".venv-local"
# openeo[localprocessing] pulls openeo-processes-dask[implementations], which needs the GDAL Python
# bindings >= 3.8.4 built from source; Debian 12 ships GDAL 3.6, and none of the processes used here needs
# them, so the environment gets the other requirements of that extra, at versions that work together.
LOCAL_PACKAGES = [
    "openeo==0.53.0",
    "openeo-processes-dask==2026.9.1",
    "openeo-pg-parser-networkx==2026.3.3",
    "dask[array,dataframe,distributed]==2026.8.0",
    "xarray==2026.9.0",
    "rioxarray==0.19.0",
    "rasterio==1.4.4",
    "netCDF4==1.7.5.1.post1",
    "geopandas==1.2.0",
    "dask-geopandas==0.5.0",
    "xvec==0.2.0",
    "odc-geo==0.5.3",
    "odc-loader[zarr]==0.6.5",
    "odc-stac==0.5.3",
    "pystac==1.15.2",
    "pystac-client==0.9.1",
    "planetary-computer==1.0.0",
    "stac-validator",
    "joblib==1.6.0",
]


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


def write_once(collection: Path, size: int, dates: int) -> Path:
    """The synthetic collection ``collection`` (512 px COG tiles), written on first use and kept."""
    if not (collection / "collection.toml").exists():
        print(f"writing the synthetic collection to {collection} (once) ...", flush=True)
        synthetic.write_sentinel2_demo(collection, size=size, dates=dates, blocksize=512)
    return collection


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


def _baseline_child(workload: str, scenes, out: str, peak) -> None:
    _baseline(workload, scenes, out)
    peak.value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_baseline(workload: str, scenes, out: str) -> tuple[float, float]:
    """Seconds and the child's own peak (the children's maximum would include the other subprocesses)."""
    context = multiprocessing.get_context("fork")
    peak = context.Value("d", float("nan"))
    started = time.perf_counter()
    child = context.Process(target=_baseline_child, args=(workload, scenes, out, peak))
    child.start()
    child.join()
    seconds = time.perf_counter() - started
    return seconds, peak.value


def _largest_difference(one: Path, other: Path) -> float:
    """The results must agree, or the timings compare different work."""
    with rasterio.open(one) as a, rasterio.open(other) as b:
        x, y = a.read(), b.read()
    if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
        raise SystemExit(f"results differ in shape or nodata: {x.shape} vs {y.shape}")
    return float(np.nanmax(np.abs(x - y))) if np.isfinite(x).any() else 0.0


def _local_python() -> Path:
    """The interpreter of openeo-processes-dask's own environment (created on first use)."""
    python = LOCAL_VENV / "bin" / "python"
    if not (LOCAL_VENV / "ready").exists():
        print(f"creating {LOCAL_VENV} with openeo-processes-dask (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(LOCAL_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *LOCAL_PACKAGES], check=True)
        (LOCAL_VENV / "ready").touch()
    return python


def _local_store(python: Path, collection: Path, data_root: Path) -> Path:
    store = data_root.with_name(data_root.name + "-local") / "S2.nc"  # outside the served data root
    if not store.exists():
        print(f"writing the netCDF stack for openeo-processes-dask to {store} (once) ...", flush=True)
        store.parent.mkdir(exist_ok=True)
        script = str(BENCH / "local_processing.py")
        command = [str(python), script, "prepare", "--cogs", str(collection), "--store", str(store)]
        subprocess.run(command, check=True, capture_output=True)
    return store


def _local_graph(request: dict, store: Path) -> dict:
    """The graph of ``request`` for openeo-processes-dask: its collection is ``store``, and it ends at the
    cube save_result would write (openeo-processes-dask has no save_result)."""
    nodes = copy.deepcopy(request["process"]["process_graph"])
    save = next(name for name, node in nodes.items() if node["process_id"] == "save_result")
    nodes[nodes.pop(save)["arguments"]["data"]["from_node"]]["result"] = True
    for node in nodes.values():
        if node["process_id"] == "load_collection":
            node["arguments"]["id"] = str(store)
    return nodes


def _run_local(python: Path, request: dict, store: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak MiB of openeo-processes-dask running ``request`` on the netCDF ``store``, its
    result written to ``out``; RuntimeError with the last line of its error when it fails."""
    graph = out.with_suffix(".json")
    graph.write_text(json.dumps(_local_graph(request, store)))
    command = [
        str(python),
        str(BENCH / "local_processing.py"),
        "run",
        "--graph",
        str(graph),
        "--out",
        str(out),
    ]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        lines = finished.stderr.strip().splitlines() or [f"exit code {finished.returncode}"]
        raise RuntimeError(lines[-1])
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    return figures["seconds"], figures["peak_mib"]


def _tiny_graph() -> dict:
    """W1 over 10 x 10 pixels: what warms a server up."""
    graph = _graph("W1")
    west, north = synthetic.S2_ORIGIN
    box = {"west": west, "east": west + 100, "south": north - 100, "north": north, "crs": 32631}
    graph["process"]["process_graph"]["load"]["arguments"]["spatial_extent"] = box
    return graph


def _warm_up(url: str, headers: dict) -> None:
    """One tiny request first: a running server has its Dask cluster started already (on first use)."""
    requests.post(f"{url}/result", json=_tiny_graph(), headers=headers, timeout=600).raise_for_status()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _server(
    folder: Path, data_root: Path, more: str = "", jobs: int = 0
) -> tuple[subprocess.Popen, str, dict]:
    """An ``openeo-gip serve`` process on ``data_root``; ``more``: further config sections (TOML); ``jobs``:
    its threads running batch jobs."""
    port = _free_port()
    config = folder / "config.toml"
    settings = f"[jobs]\nrunner_threads = {jobs}\n[sync]\nmax_pixels = 10000000000\nmax_seconds = 3600\n"
    config.write_text(f'[paths]\ndata_root = "{data_root}"\n' + settings + more)
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
    parser.add_argument("--no-local", action="store_true", help="skip openeo-processes-dask")
    parser.add_argument("--workload", choices=("W1", "W2"), action="append", help="only these (repeatable)")
    args = parser.parse_args()

    data_root = (args.data / f"ndvi-{args.size}-{args.dates}").resolve()
    collection = write_once(data_root / "S2", args.size, args.dates)
    scenes = _scenes(collection)
    local = None
    if not args.no_local:
        python = _local_python()
        local = python, _local_store(python, collection, data_root)
    print(f"machine: {os.cpu_count()} cores; collection {args.size}x{args.size}, {args.dates} dates")

    with tempfile.TemporaryDirectory() as folder:
        server, url, headers = _server(Path(folder), data_root)
        try:
            _warm_up(url, headers)
            for workload in args.workload or ("W1", "W2"):
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
                if local is not None:
                    out = Path(folder) / f"{workload}-local.tif"
                    python, store = local
                    seconds, peak = _run_local(python, _graph(workload), store, out)
                    print(
                        f"{workload}: openeo-processes-dask {seconds:6.1f} s, peak {peak:7.0f} MiB | "
                        f"openeo-gip / openeo-processes-dask: time {gip_seconds / seconds:4.2f}, "
                        f"memory {gip_peak / peak:4.2f} | largest difference to numpy "
                        f"{_largest_difference(out, baseline):.2g}"
                    )
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
