"""openeo-gip's ``POST /result`` against a plain xarray + dask script doing the same reads, maths and write,
on the same files: per-date COGs and one netCDF stack of the same pixels.

    W1  load_collection(B04, B08) -> ndvi -> mean over t -> GTiff
    W2  load_collection(B04, B08) -> ndvi -> max - min over t -> GTiff
    M   load_collection(B04, B08, SCL) -> mask clouds (SCL 8, 9) -> mean over t -> GTiff (B04, B08)

    .venv/bin/python bench/xarray_dask.py [--size 1024] [--dates 12] [--repeat 3]
                                          [--source cog|netcdf ...] [--workload W1|W2|M ...]

The data is written once under ``bench/data/`` (the COGs of ``ndvi_mean.py``, and from them one netCDF
file ``S2.nc``: B04, B08, SCL as uint16 (t, y, x), fill value 0, uncompressed, chunks 1 x 1024 x 1024).
Runs are interleaved (gip, script, gip, script ...) and each figure is the median of ``--repeat`` runs;
every run is printed. Each openeo-gip run is a fresh ``openeo-gip serve`` process warmed by one tiny
request (its Dask cluster started, no result of an earlier request around); its peak is the server's VmHWM.
The script runs in a forked child (imports done before the clock starts) on dask's default threaded
scheduler; its peak is the child's maximum resident size. Both write the same COG (deflate, predictor,
512 px tiles, overviews, all cores), and both results must equal numpy's (computed here on whole arrays)
within float tolerance. The page cache is warm after the first run of each source.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import ndvi_mean as shared  # bench/ is the script's folder, so its sibling imports as a module
import numpy as np
import rasterio
import requests
import rioxarray
import xarray as xr

from openeo_gip.demodata import synthetic

WORKLOADS = ("W1", "W2", "M")
SOURCES = ("cog", "netcdf")
CHUNK = 1024  # the script's chunks in y and x: one netCDF chunk, one COG of the default size


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
    """The COG openeo-gip writes (formats/gtiff.py): deflate, predictor, 512 px tiles, overviews."""
    with rasterio.open(like) as first:
        crs, transform = first.crs, first.transform
    profile = {
        "driver": "COG",
        "width": layers.shape[2],
        "height": layers.shape[1],
        "count": layers.shape[0],
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": np.nan,
        "blocksize": 512,
        "compress": "deflate",
        "predictor": "yes",
        "overviews": "auto",
        "num_threads": "all_cpus",
    }
    with rasterio.open(out, "w", **profile) as target:
        target.write(layers)


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
        raise SystemExit(f"the xarray + dask script failed on {workload} {source}")
    return figures[0], figures[1]


def run_gip(workload: str, source: str, root: Path, out: Path) -> tuple[float, float]:
    """Seconds of ``POST /result`` on a fresh server warmed by a tiny request, and the server's peak."""
    with tempfile.TemporaryDirectory() as folder:
        server, url, headers = shared._server(Path(folder), root / source)
        try:
            shared._warm_up(url, headers)
            started = time.perf_counter()
            response = requests.post(f"{url}/result", json=graph(workload), headers=headers, timeout=3600)
            seconds = time.perf_counter() - started
            if not response.ok:
                raise SystemExit(f"openeo-gip failed on {workload} {source}: {response.text}")
            out.write_bytes(response.content)
            return seconds, shared._peak_mib(server.pid)
        finally:
            server.terminate()
            server.wait(30)


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
        raise SystemExit(f"{path.name}: shape or nodata differ from numpy's")
    if not np.allclose(values, reference, rtol=1e-5, atol=1e-6, equal_nan=True):
        raise SystemExit(f"{path.name}: values differ from numpy's")
    return float(np.nanmax(np.abs(values - reference))) if np.isfinite(values).any() else 0.0


def prepare(data: Path, size: int, dates: int) -> Path:
    """``ROOT/cog/S2/`` (per-date COGs) and ``ROOT/netcdf/S2.nc`` (the same pixels), written once."""
    root = (data / f"xarray-{size}-{dates}").resolve()
    cogs = root / "cog" / "S2"
    if not (cogs / "collection.toml").exists():
        print(f"writing the synthetic collection to {cogs} (once) ...", flush=True)
        synthetic.write_sentinel2_demo(cogs, size=size, dates=dates, blocksize=512)
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
    args = parser.parse_args()
    root = prepare(args.data, args.size, args.dates)
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{args.dates} dates x {args.size} x {args.size}; medians of {args.repeat} interleaved runs"
    )
    summary = []
    with tempfile.TemporaryDirectory() as folder:
        for workload in args.workload or WORKLOADS:
            reference = numpy_result(workload, root)
            for source in args.source or SOURCES:
                runs = {"gip": [], "script": []}
                for repetition in range(args.repeat):
                    for name, runner in (("gip", run_gip), ("script", run_script)):
                        out = Path(folder) / f"{workload}-{source}-{name}.tif"
                        seconds, peak = runner(workload, source, root, out)
                        difference = largest_difference(out, reference)
                        runs[name].append((seconds, peak))
                        print(
                            f"  {workload} {source:6} {name:6} run {repetition + 1}: {seconds:6.2f} s, "
                            f"peak {peak:6.0f} MiB, largest difference to numpy {difference:.2g}",
                            flush=True,
                        )
                gip, plain = (statistics.median(s for s, _ in runs[n]) for n in ("gip", "script"))
                gip_peak, plain_peak = (statistics.median(p for _, p in runs[n]) for n in ("gip", "script"))
                summary.append(
                    f"{workload} {source:6}: openeo-gip {gip:6.2f} s, peak {gip_peak:5.0f} MiB | "
                    f"xarray + dask {plain:6.2f} s, peak {plain_peak:5.0f} MiB | ratio {gip / plain:4.2f}"
                )
                print(summary[-1], flush=True)
    print(f"load after: {os.getloadavg()[0]:.1f}")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
