"""openeo-gip against a plain xarray + dask script doing the same reads, maths and write, against
openeo-processes-dask running the same process graph, and ``POST /result`` against the same graph as a
batch job; on the same files: per-date COGs and one netCDF stack of the same pixels.

    W1  load_collection(B04, B08) -> ndvi -> mean over t -> GTiff
    W2  load_collection(B04, B08) -> ndvi -> max - min over t -> GTiff
    M   load_collection(B04, B08, SCL) -> mask clouds (SCL 8, 9) -> mean over t -> GTiff (B04, B08)

    .venv/bin/python bench/xarray_dask.py [--size 1024] [--dates 12] [--repeat 3]
                                          [--source cog|netcdf ...] [--workload W1|W2|M ...]
                                          [--variant gip|script|opd|batch ...]

Variants (all by default):
    gip     ``POST /result``: seconds from sending the request to the whole answer received
    script  the hand-written xarray + dask version, in a forked child (imports done before the clock
            starts) on dask's default threaded scheduler; its peak is the child's maximum resident size
    opd     openeo-processes-dask (``openeo.local.LocalConnection``) through ``bench/local_processing.py``
            in ``bench/.venv-local`` (created on first use by ``ndvi_mean.py``'s code): seconds of
            ``execute`` + computing + writing after imports; its peak is that subprocess's maximum resident
            size, imports included. It reads one netCDF file per collection, not per-date COGs, so it runs
            on the netCDF source only (``S2.nc`` as below, unchanged; rows of the COG source show n/a)
    batch   the graph as a batch job: ``POST /jobs``, ``POST /jobs/{id}/results``, ``GET /jobs/{id}`` every
            0.1 s until it is finished, the results document, the GeoTIFF downloaded through its signed link;
            seconds from creating the job to the file received

The data is written once under ``bench/data/`` (the COGs of ``ndvi_mean.py``, and from them one netCDF
file ``S2.nc``: B04, B08, SCL as uint16 (t, y, x), fill value 0, uncompressed, chunks 1 x 1024 x 1024).
Runs are interleaved (gip, script, opd, batch, gip, ...); each figure is the median of ``--repeat`` runs
and every run is printed, then a table of medians and the ratios gip / script, gip / opd and sync / batch
(gip / batch). Each gip and batch run is a fresh ``openeo-gip serve`` process (one thread for batch jobs in
both) warmed by one tiny request of its kind, a ``POST /result`` or a batch job: its Dask cluster started,
no result of an earlier request around; its peak is the server's VmHWM. Every variant writes the same COG
(``cog_profile.py``: deflate, predictor, 512 px tiles, overviews, all cores); openeo-processes-dask has no
save_result, so ``local_processing.py`` computes its cube and writes it so. Every result must equal
numpy's (computed here on whole arrays) within float tolerance, or the variant is reported failed and the
script exits with status 1 after the table. The page cache is warm after the first run of each source.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import cog_profile
import ndvi_mean as shared  # bench/ is the script's folder, so its sibling imports as a module
import numpy as np
import rasterio
import requests
import rioxarray
import xarray as xr

WORKLOADS = ("W1", "W2", "M")
SOURCES = ("cog", "netcdf")
VARIANTS = ("gip", "script", "opd", "batch")
POLL_SECONDS = 0.1  # how often the batch variant asks for its job's status
ACTIVE = ("queued", "running")  # a started job's status until it ends
CHUNK = 1024  # the script's chunks in y and x: one netCDF chunk, one COG of the default size


class Failed(Exception):
    """A variant that did not give numpy's result (the others go on)."""


def graph(workload: str) -> dict:
    """The process graph of a workload (``ndvi_mean``'s W1 and W2 graphs, with other reducers)."""
    if workload == "W1":
        return shared._graph("W1")
    if workload == "M":
        request = shared._graph("W2")
        request["process"]["process_graph"]["reduce"]["arguments"]["reducer"]["process_graph"]["r"][
            "process_id"
        ] = "mean"
        return request
    request = shared._graph("W1")
    data = {"from_parameter": "data"}
    request["process"]["process_graph"]["reduce"]["arguments"]["reducer"]["process_graph"] = {
        "top": {"process_id": "max", "arguments": {"data": data}},
        "bottom": {"process_id": "min", "arguments": {"data": data}},
        "r": {
            "process_id": "subtract",
            "arguments": {"x": {"from_node": "top"}, "y": {"from_node": "bottom"}},
            "result": True,
        },
    }
    return request


def _bands(workload: str) -> list[str]:
    return ["B04", "B08", "SCL"] if workload == "M" else ["B04", "B08"]


def _open(source: str, files: Path, bands: list[str]) -> dict[str, xr.DataArray]:
    """Each band as a lazy float32 (t, y, x) array, nodata as NaN, as a user would open them."""
    if source == "netcdf":
        dataset = xr.open_dataset(files / "S2.nc", chunks={"t": 1, "y": CHUNK, "x": CHUNK})
        return {band: dataset[band] for band in bands}
    scenes = shared._scenes(files / "S2")
    return {
        band: xr.concat(
            [
                rioxarray.open_rasterio(scene[band], masked=True, chunks={"y": CHUNK, "x": CHUNK})
                .squeeze("band", drop=True)
                .astype(np.float32)
                for scene in scenes
            ],
            dim="t",
        )
        for band in bands
    }


def _maths(workload: str, bands: dict[str, xr.DataArray]) -> list[xr.DataArray]:
    """The workload's result layers."""
    if workload == "M":
        clear = ~bands["SCL"].isin(shared.CLOUDS)
        return [bands[band].where(clear).mean("t") for band in ("B04", "B08")]
    red, nir = bands["B04"], bands["B08"]
    ndvi = (nir - red) / (nir + red)
    return [ndvi.mean("t")] if workload == "W1" else [ndvi.max("t") - ndvi.min("t")]


def _write_cog(layers: np.ndarray, like: Path, out: Path) -> None:
    with rasterio.open(like) as first:
        cog_profile.write_cog(layers, first.crs, first.transform, out)


def script(workload: str, source: str, root: Path, out: Path) -> None:
    """The hand-written xarray + dask version: open lazily, compute on the threaded scheduler, write."""
    layers = xr.concat(_maths(workload, _open(source, root / source, _bands(workload))), dim="band")
    _write_cog(layers.compute().values.astype(np.float32), _first_cog(root), out)


def _first_cog(root: Path) -> Path:
    return shared._scenes(root / "cog" / "S2")[0]["B04"]


def _script_child(workload: str, source: str, root: Path, out: Path, figures) -> None:
    started = time.perf_counter()
    script(workload, source, root, out)
    figures[0] = time.perf_counter() - started
    figures[1] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_script(workload: str, source: str, root: Path, out: Path) -> tuple[float, float]:
    """Seconds (after imports) and the child's own peak resident size in MiB."""
    context = multiprocessing.get_context("fork")
    figures = context.Array("d", [float("nan")] * 2)
    child = context.Process(target=_script_child, args=(workload, source, root, out, figures))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise Failed(f"the script exited with {child.exitcode}")
    return figures[0], figures[1]


@contextlib.contextmanager
def _fresh_server(root: Path, source: str):
    """A new ``openeo-gip serve`` on the source's files, with one thread for batch jobs."""
    with tempfile.TemporaryDirectory() as folder:
        server, url, headers = shared._server(Path(folder), root / source, jobs=1)
        try:
            yield server, url, headers
        finally:
            server.terminate()
            server.wait(30)


def run_gip(workload: str, source: str, root: Path, out: Path) -> tuple[float, float]:
    """Seconds of ``POST /result`` on a fresh server warmed by a tiny request, and the server's peak."""
    with _fresh_server(root, source) as (server, url, headers):
        shared._warm_up(url, headers)
        started = time.perf_counter()
        response = requests.post(f"{url}/result", json=graph(workload), headers=headers, timeout=3600)
        seconds = time.perf_counter() - started
        if not response.ok:
            raise Failed(response.text)
        out.write_bytes(response.content)
        return seconds, shared._peak_mib(server.pid)


def _batch_job(url: str, headers: dict, request: dict) -> bytes:
    """Creates and starts a batch job, waits until it is finished, and downloads its GeoTIFF."""
    created = requests.post(f"{url}/jobs", json=request, headers=headers, timeout=60)
    created.raise_for_status()
    job = f"{url}/jobs/{created.headers['OpenEO-Identifier']}"
    requests.post(f"{job}/results", headers=headers, timeout=60).raise_for_status()
    while (status := requests.get(job, headers=headers, timeout=60).json()["status"]) in (
        "queued",
        "running",
    ):
        time.sleep(POLL_SECONDS)
    if status != "finished":
        logs = requests.get(f"{job}/logs", headers=headers, timeout=60).json()["logs"]
        raise Failed(f"the job is {status}: {logs[-1]['message'] if logs else 'no log'}")
    assets = requests.get(f"{job}/results", headers=headers, timeout=60).json()["assets"]
    (href,) = [asset["href"] for asset in assets.values() if "data" in asset.get("roles", [])]
    download = requests.get(href, timeout=600)
    download.raise_for_status()
    return download.content


def run_batch(workload: str, source: str, root: Path, out: Path) -> tuple[float, float]:
    """Seconds from creating the batch job to its result downloaded, on a fresh server warmed by a tiny
    batch job, and the server's peak."""
    with _fresh_server(root, source) as (server, url, headers):
        _batch_job(url, headers, shared._tiny_graph())
        started = time.perf_counter()
        content = _batch_job(url, headers, graph(workload))
        seconds = time.perf_counter() - started
        out.write_bytes(content)
        return seconds, shared._peak_mib(server.pid)


def run_opd(workload: str, source: str, root: Path, out: Path) -> tuple[float, float]:
    """Seconds (after imports) and peak of openeo-processes-dask on the netCDF stack."""
    try:
        return shared._run_local(shared._local_python(), graph(workload), root / "netcdf" / "S2.nc", out)
    except RuntimeError as error:
        raise Failed(str(error)) from None


RUNNERS = {"gip": run_gip, "script": run_script, "opd": run_opd, "batch": run_batch}


def numpy_result(workload: str, root: Path) -> np.ndarray:
    """The reference: whole arrays in numpy, from the COGs."""
    scenes = shared._scenes(root / "cog" / "S2")
    bands = {
        band: np.stack([shared._read(scenes, band, i, None) for i in range(len(scenes))])
        for band in _bands(workload)
    }
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels: NaN is the expected answer
        if workload == "M":
            cloud = np.isin(bands["SCL"], shared.CLOUDS)
            return np.stack([np.nanmean(np.where(cloud, np.nan, bands[b]), axis=0) for b in ("B04", "B08")])
        ndvi = (bands["B08"] - bands["B04"]) / (bands["B08"] + bands["B04"])
        if workload == "W1":
            return np.nanmean(ndvi, axis=0)[None]
        return (np.nanmax(ndvi, axis=0) - np.nanmin(ndvi, axis=0))[None]


def largest_difference(path: Path, reference: np.ndarray) -> float:
    """Fails unless the file equals the reference within float32 tolerance (NaN where it has NaN)."""
    with rasterio.open(path) as result:
        values = result.read()
    if values.shape != reference.shape or not np.array_equal(np.isnan(values), np.isnan(reference)):
        raise Failed(f"{path.name}: shape or nodata differ from numpy's")
    if not np.allclose(values, reference, rtol=1e-5, atol=1e-6, equal_nan=True):
        raise Failed(f"{path.name}: values differ from numpy's")
    return float(np.nanmax(np.abs(values - reference))) if np.isfinite(values).any() else 0.0


def prepare(data: Path, size: int, dates: int) -> Path:
    """``ROOT/cog/S2/`` (per-date COGs) and ``ROOT/netcdf/S2.nc`` (the same pixels), written once."""
    root = (data / f"xarray-{size}-{dates}").resolve()
    cogs = shared.write_once(root / "cog" / "S2", size, dates)
    store = root / "netcdf" / "S2.nc"
    if not store.exists():
        print(f"writing the same pixels to {store} (once) ...", flush=True)
        store.parent.mkdir(exist_ok=True)
        scenes = shared._scenes(cogs)
        with rasterio.open(scenes[0]["B04"]) as first:
            crs, transform = first.crs, first.transform
        variables = {}
        for band in ("B04", "B08", "SCL"):
            layers = [rioxarray.open_rasterio(scene[band]).squeeze("band", drop=True) for scene in scenes]
            stack = xr.concat(layers, dim="t").drop_vars("spatial_ref", errors="ignore")
            stack.attrs, stack.encoding = {}, {}
            variables[band] = stack
        days = [
            np.datetime64(f"{p[:4]}-{p[4:6]}-{p[6:]}") for p in (s["B04"].stem.split("_")[1] for s in scenes)
        ]
        dataset = xr.Dataset(variables).assign_coords(t=np.array(days, "datetime64[ns]")).rio.write_crs(crs)
        dataset = dataset.rio.write_transform(transform).rio.write_coordinate_system()
        for band in variables:  # the CF link to the CRS, which GDAL reads
            dataset[band].attrs["grid_mapping"] = "spatial_ref"
        chunks = (1, min(CHUNK, size), min(CHUNK, size))
        encoding = {band: {"_FillValue": 0, "chunksizes": chunks, "zlib": False} for band in variables}
        partial = store.with_suffix(".partial.nc")
        dataset.to_netcdf(partial, encoding=encoding)
        partial.rename(store)
    return root


def measure(workload: str, source: str, variants: list[str], repeat: int, root: Path, folder: Path) -> dict:
    """Variant -> its runs' (seconds, peak MiB), or why it failed; runs interleaved, each printed."""
    reference = numpy_result(workload, root)
    runs: dict[str, list | str] = {variant: [] for variant in variants}
    for repetition in range(repeat):
        for variant in variants:
            if isinstance(runs[variant], str):
                continue  # failed in an earlier repetition
            out = folder / f"{workload}-{source}-{variant}.tif"
            label = f"  {workload} {source:6} {variant:6} run {repetition + 1}:"
            try:
                seconds, peak = RUNNERS[variant](workload, source, root, out)
                difference = largest_difference(out, reference)
            except Failed as error:
                runs[variant] = str(error)
                print(f"{label} FAILED: {error}", flush=True)
                continue
            runs[variant].append((seconds, peak))
            print(
                f"{label} {seconds:6.2f} s, peak {peak:6.0f} MiB, largest difference to numpy "
                f"{difference:.2g}, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return runs


def _median(runs: list | str | None, index: int) -> float | None:
    return statistics.median(run[index] for run in runs) if isinstance(runs, list) and runs else None


def _ratio(runs: dict, one: str, other: str) -> str:
    a, b = _median(runs.get(one), 0), _median(runs.get(other), 0)
    return f"{a / b:.2f}" if a is not None and b is not None else "-"


def summary(results: dict, variants: list[str]) -> list[str]:
    """A Markdown table of medians and ratios, then every run and every failure."""
    ratios = [(one, other) for one, other in (("gip", "script"), ("gip", "opd"), ("gip", "batch"))]
    ratios = [(one, other) for one, other in ratios if one in variants and other in variants]
    names = {("gip", "batch"): "sync / batch"}
    header = ["workload", "source"]
    header += [f"{variant} {what}" for variant in variants for what in ("(s)", "peak")]
    header += [names.get(pair, f"{pair[0]} / {pair[1]}") for pair in ratios]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    details = []
    for (workload, source), runs in results.items():
        cells = [workload, source]
        for variant in variants:
            found = runs.get(variant)
            if isinstance(found, list):
                cells += [f"{_median(found, 0):.2f}", f"{_median(found, 1):.0f} MiB"]
                details.append(f"{workload} {source} {variant}: " + " ".join(f"{s:.2f}" for s, _ in found))
            else:
                cells += ["failed" if found else "n/a", ""]
                if found:
                    details.append(f"{workload} {source} {variant} failed: {found}")
        cells += [_ratio(runs, one, other) for one, other in ratios]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + ["", "seconds of every run:", *details]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--dates", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--source", choices=SOURCES, action="append", help="only these (repeatable)")
    parser.add_argument("--workload", choices=WORKLOADS, action="append", help="only these (repeatable)")
    parser.add_argument("--variant", choices=VARIANTS, action="append", help="only these (repeatable)")
    args = parser.parse_args()
    variants = [variant for variant in VARIANTS if variant in (args.variant or VARIANTS)]
    root = prepare(args.data, args.size, args.dates)
    if "opd" in variants:
        shared._local_python()  # created before any clock starts
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{args.dates} dates x {args.size} x {args.size}; medians of {args.repeat} interleaved runs"
    )
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for workload in args.workload or WORKLOADS:
            for source in args.source or SOURCES:
                chosen = [v for v in variants if v != "opd" or source == "netcdf"]  # opd reads netCDF only
                results[workload, source] = measure(workload, source, chosen, args.repeat, root, Path(folder))
    print(f"load after: {os.getloadavg()[0]:.1f}\n")
    print("\n".join(summary(results, variants)))
    if any(isinstance(runs, str) for row in results.values() for runs in row.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
