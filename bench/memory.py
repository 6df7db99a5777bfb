"""Memory benchmark: three workloads over a cube several times the Dask worker's memory limit, through
``POST /result`` of a real ``openeo-gip serve`` process, against plain rasterio + numpy doing the same.

    W1  load_collection(B04, B08) -> ndvi -> mean over t -> GTiff
    W2  load_collection(B04, B08, SCL) -> mask clouds (SCL 8, 9) -> median over t -> GTiff
    R   load_collection(B04, B08) -> resample_spatial(EPSG:3035, bilinear) -> ndvi -> mean over t -> GTiff

    .venv/bin/python bench/memory.py [--size 4096] [--dates 14] [--memory-limit 512MiB] [--data bench/data]
                                     [--workload W1|W2|R ...]

The server's Dask worker gets ``--memory-limit``; the cube the workloads read (B04 and B08 as float32) is
at least three times that. Each workload must complete; its peak is the server's resident high-water mark
(VmHWM, reset before each workload), which includes the idle server (about 220 MiB). The baseline runs in a
child process, date by date (R warps each whole date with GDAL onto the server's output grid); its peak is
that child's maximum resident size. The graphs and baselines of W1 and W2 are those of ``ndvi_mean.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path

import ndvi_mean as shared  # bench/ is the script's folder, so its sibling imports as a module
import numpy as np
import rasterio
import rasterio.warp
import requests
from rasterio.enums import Resampling

TARGET_CRS = 3035  # ETRS89-LAEA: another CRS than the collection's UTM 31N


def _reprojection_graph() -> dict:
    graph = shared._graph("W1")
    nodes = graph["process"]["process_graph"]
    nodes["warp"] = {
        "process_id": "resample_spatial",
        "arguments": {"data": {"from_node": "load"}, "projection": TARGET_CRS, "method": "bilinear"},
    }
    nodes["index"]["arguments"]["data"] = {"from_node": "warp"}
    return graph


def _read_whole(path: Path) -> tuple[np.ndarray, rasterio.Affine, rasterio.crs.CRS]:
    with rasterio.open(path) as source:
        data = source.read(1).astype(np.float32)
        transform, crs = source.transform, source.crs
    data[data == 0] = np.nan
    return data, transform, crs


def _reprojected_mean(scenes: list[dict[str, Path]], grid: Path, out: str) -> None:
    """R in plain rasterio + numpy: each date's bands warped whole onto ``grid``'s grid, NDVI, mean."""
    with rasterio.open(grid) as template:
        profile = template.profile
        height, width, transform, crs = template.height, template.width, template.transform, template.crs
    total = np.zeros((height, width), np.float64)
    count = np.zeros((height, width), np.int32)
    for scene in scenes:
        warped = {}
        for band in ("B04", "B08"):
            data, source_transform, source_crs = _read_whole(scene[band])
            warped[band] = np.full((height, width), np.nan, np.float32)
            rasterio.warp.reproject(
                data,
                warped[band],
                src_transform=source_transform,
                src_crs=source_crs,
                src_nodata=np.nan,
                dst_transform=transform,
                dst_crs=crs,
                dst_nodata=np.nan,
                resampling=Resampling.bilinear,
                num_threads=os.cpu_count() or 1,
                # Both grids have 10 m pixels. Left to itself, GDAL estimates the scale per internal chunk
                # of a whole date, finds some below 1 and widens the kernel there (23 % of the pixels of a
                # date differed, by up to 4 % of the value range).
                XSCALE=1,
                YSCALE=1,
            )
            del data
        with np.errstate(invalid="ignore", divide="ignore"):
            ndvi = (warped["B08"] - warped["B04"]) / (warped["B08"] + warped["B04"])
        valid = ~np.isnan(ndvi)
        total[valid] += ndvi[valid]
        count += valid
    profile.update(dtype="float32", count=1, nodata=np.nan, compress="deflate")
    with rasterio.open(out, "w", **profile) as target, np.errstate(invalid="ignore", divide="ignore"):
        target.write((total / count).astype(np.float32), 1)


def _baseline(workload: str, scenes, out: str, grid: Path, peak) -> None:
    if workload == "R":
        _reprojected_mean(scenes, grid, out)
    else:
        shared._baseline(workload, scenes, out)
    peak.value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_baseline(workload: str, scenes, out: str, grid: Path) -> tuple[float, float]:
    """Seconds and the child's own peak resident size in MiB."""
    context = multiprocessing.get_context("fork")
    peak = context.Value("d", float("nan"))
    started = time.perf_counter()
    child = context.Process(target=_baseline, args=(workload, scenes, out, grid, peak))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"the baseline of {workload} failed")
    return time.perf_counter() - started, peak.value


def _compare(served: Path, baseline: Path) -> str:
    """The largest difference where both have a value, and how many pixels only one of them has (GDAL
    resamples next to no-data a little differently in a window of a chunk than in a whole date)."""
    with rasterio.open(served) as a, rasterio.open(baseline) as b:
        x, y = a.read(), b.read()
    if x.shape != y.shape:
        raise SystemExit(f"results differ in shape: {x.shape} vs {y.shape}")
    both = ~np.isnan(x) & ~np.isnan(y)
    largest = float(np.max(np.abs(x[both] - y[both]))) if both.any() else 0.0
    only_one = int(np.count_nonzero(np.isnan(x) != np.isnan(y)))
    apart = int(np.count_nonzero(np.abs(x[both] - y[both]) > 1e-3))
    return (
        f"largest difference {largest:.2g} ({apart} pixels over 1e-3), "
        f"{only_one} of {x.size} pixels valid in only one"
    )


def _reset_peak(pid: int) -> None:
    """Start the process's VmHWM afresh (Linux: 5 to clear_refs), so each workload has its own peak."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--dates", type=int, default=14)
    parser.add_argument("--memory-limit", default="512MiB", help="the Dask worker's memory limit")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument(
        "--workload", choices=("W1", "W2", "R"), action="append", help="only these (repeatable)"
    )
    args = parser.parse_args()

    data_root = (args.data / f"memory-{args.size}-{args.dates}").resolve()
    collection = shared.write_once(data_root / "S2", args.size, args.dates)
    scenes = shared._scenes(collection)
    cube_gib = args.dates * 2 * args.size**2 * 4 / 1024**3
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; B04 + B08 as float32: "
        f"{cube_gib:.2f} GiB ({args.dates} dates of {args.size} x {args.size}); Dask worker memory limit "
        f"{args.memory_limit}, 2 threads",
        flush=True,
    )

    dask_settings = f'[dask]\nn_workers = 1\nthreads_per_worker = 2\nmemory_limit = "{args.memory_limit}"\n'
    with tempfile.TemporaryDirectory() as folder:
        server, url, headers = shared._server(Path(folder), data_root, dask_settings)
        try:
            shared._warm_up(url, headers)
            graphs = {"W1": shared._graph("W1"), "W2": shared._graph("W2"), "R": _reprojection_graph()}
            for workload in args.workload or graphs:
                graph = graphs[workload]
                _reset_peak(server.pid)
                started = time.perf_counter()
                response = requests.post(f"{url}/result", json=graph, headers=headers, timeout=3600)
                if not response.ok:
                    raise SystemExit(f"{workload} failed: {response.text}")
                gip_seconds = time.perf_counter() - started
                gip_peak = shared._peak_mib(server.pid)
                served = Path(folder) / f"{workload}-gip.tif"
                served.write_bytes(response.content)
                baseline = Path(folder) / f"{workload}.tif"
                base_seconds, base_peak = _run_baseline(workload, scenes, str(baseline), served)
                print(
                    f"{workload}: openeo-gip {gip_seconds:6.1f} s, peak {gip_peak:7.0f} MiB | "
                    f"numpy {base_seconds:6.1f} s, peak {base_peak:7.0f} MiB | "
                    f"time ratio {gip_seconds / base_seconds:4.2f} | {_compare(served, baseline)}",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
