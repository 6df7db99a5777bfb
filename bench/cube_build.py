"""The cost of building a lazy cube (no pixel read): the reader's ``build_cube`` and the load path of a map
tile (``cube_from_record`` with a bounding box: reader window, then the slice to the pixel centres inside).

    .venv/bin/python bench/cube_build.py [--size 1024] [--repeat 50]

Synthetic Sentinel-2-like COGs (12 dates, 1024 px, 512 px tiles) are written once under
``bench/data/cube-build-SIZE``. In-process, warm (each case built once before timing); prints the median
and the 90th percentile in milliseconds, and the load average of the machine (it is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from openeo_gip.catalog.catalog import Catalog
from openeo_gip.catalog.index import index_path, refresh_index
from openeo_gip.demodata import synthetic
from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.load.collection import cube_from_record
from openeo_gip.raster.reader import build_cube, select_source

BENCH = Path(__file__).resolve().parent
DATES = 12
TILE_PX = 256  # a map tile at full resolution: 2.56 km at 10 m


def _record(size: int):
    root = BENCH / "data" / f"cube-build-{size}"
    folder = root / "S2"
    if not folder.exists():
        synthetic.write_sentinel2_demo(folder, size=size, dates=DATES, blocksize=512)
    system = Path(tempfile.mkdtemp(prefix="cube-build-"))
    refresh_index(root, system)
    return Catalog(index_path(system)).get("S2")


def _tile_extent(record) -> dict:
    """A tile-sized box in the middle of the data, its edges between pixel centres (as a tile's are)."""
    a = record.grid.affine
    west = a.c + a.a * (record.grid.width // 2 + 0.3)
    north = a.f + a.e * (record.grid.height // 2 + 0.3)
    return {
        "west": west,
        "east": west + a.a * TILE_PX,
        "north": north,
        "south": north + a.e * TILE_PX,
        "crs": record.grid.crs,
    }


def _time(call, repeat: int) -> tuple[float, float]:
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    record = _record(args.size)
    ctx = ProcessContext(services=None)
    tile = _tile_extent(record)
    dates = [item.datetime for item in record.items]
    one_date = (dates[5], dates[6])
    cases = {
        f"build_cube {DATES} dates x 2 bands": lambda: build_cube(
            select_source(record, bands=["B04", "B08"])
        ),
        "build_cube 1 date x 1 band": lambda: build_cube(
            select_source(record, bands=["B08"], temporal_extent=one_date)
        ),
        f"tile load {DATES} dates x 2 bands": lambda: cube_from_record(
            record, tile, None, ["B04", "B08"], None, process_id="load_collection", what="", ctx=ctx
        ),
        "tile load 1 date x 1 band": lambda: cube_from_record(
            record, tile, list(one_date), ["B08"], None, process_id="load_collection", what="", ctx=ctx
        ),
    }
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for name, call in cases.items():
        median, p90 = _time(call, args.repeat)
        print(f"{name:34s} median {median:6.2f} ms  p90 {p90:6.2f} ms  (n={args.repeat})")


if __name__ == "__main__":
    main()
