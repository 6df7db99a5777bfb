"""The benchmark's openeo-processes-dask side; runs in its own environment (``bench/.venv-local``), never in
openeo-gip's. ``bench/ndvi_mean.py`` creates that environment and calls this script (so does
``bench/xarray_dask.py``, through ``ndvi_mean``'s functions).

    prepare --cogs DIR --store FILE.nc     the per-date COGs as one netCDF stack (t, y, x per band), once
    run --graph GRAPH.json --out OUT.tif   the graph through openeo.local.LocalConnection, its result
                                           written as the COG every variant writes (cog_profile.py);
                                           prints JSON with the seconds of processing + writing and the
                                           peak RSS

The local connection loads a collection from one file: a GeoTIFF (no time), a netCDF file or a Zarr
store; only netCDF comes back as one cube with a ``bands`` dimension (Zarr stays a Dataset, which its
processes reject), so the COGs are restacked once into an uncompressed netCDF file chunked 1 x 1024 x 1024
(the chunks openeo-gip uses too). openeo-processes-dask has no ``save_result``: the graph ends at the
reduced cube and this script writes it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import rioxarray
import xarray as xr
from cog_profile import write_cog  # bench/ is this script's folder


def prepare(cogs: Path, store: Path) -> None:
    files = sorted(cogs.glob("S2_*_*.tif"))
    dates = sorted({file.stem.split("_")[1] for file in files})
    bands = [band for band in ("B04", "B08", "SCL") if (cogs / f"S2_{dates[0]}_{band}.tif").exists()]
    variables = {}
    for band in bands:
        layers = [
            rioxarray.open_rasterio(cogs / f"S2_{date}_{band}.tif", chunks={"x": 512, "y": 512}).squeeze(
                "band", drop=True
            )
            for date in dates
        ]
        stack = xr.concat(layers, dim="t").assign_coords(t=pd.to_datetime(dates))
        stack.attrs, stack.encoding = {}, {}
        variables[band] = stack
    dataset = xr.Dataset(variables)
    crs = dataset[bands[0]].rio.crs
    dataset = dataset.drop_vars("spatial_ref", errors="ignore").rio.write_crs(crs)
    chunks = (1, min(1024, dataset.sizes["y"]), min(1024, dataset.sizes["x"]))  # no larger than the cube
    encoding = {band: {"_FillValue": 0, "chunksizes": chunks, "zlib": False} for band in bands}
    partial = store.with_suffix(".partial.nc")
    dataset.to_netcdf(partial, encoding=encoding)
    partial.rename(store)  # complete or absent: the caller writes it once


def run(graph_file: Path, out: Path) -> None:
    from openeo.local import LocalConnection

    graph = json.loads(graph_file.read_text())
    connection = LocalConnection([])
    started = time.perf_counter()
    cube = connection.execute(graph)
    if cube.rio.crs is None:
        cube = cube.rio.write_crs("EPSG:32631")
    if "bands" in cube.dims:
        cube = cube.transpose("bands", "y", "x")
    # The same COG as openeo-gip and the script write (compressing it is part of the work compared).
    values = cube.astype(np.float32).compute().values
    write_cog(values if values.ndim == 3 else values[None], cube.rio.crs, cube.rio.transform(), out)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    first = commands.add_parser("prepare")
    first.add_argument("--cogs", type=Path, required=True)
    first.add_argument("--store", type=Path, required=True)
    second = commands.add_parser("run")
    second.add_argument("--graph", type=Path, required=True)
    second.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.cogs, args.store)
    else:
        run(args.graph, args.out)


if __name__ == "__main__":
    sys.exit(main())
