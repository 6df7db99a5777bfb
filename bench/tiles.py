"""Map tiles of a warm XYZ service of a real ``openeo-gip serve``: latency (median, p95) and throughput at
two zoom levels, for

    A     one band (B08) of one date, against rio-tiler (the tile library of titiler) drawing the same
          tile of the same COG (same z/x/y, value range 0-5000, colour map, 256 px PNG) in the same run;
    NDVI  the mean NDVI of 12 dates (B04, B08 -> ndvi -> mean over t), range -0.2-0.9.

    .venv/bin/python bench/tiles.py [--size 2048] [--rounds 5] [--zoom 12 --zoom 14] [--clients 2]

The synthetic collection (12 dates, UTM 31N, 10 m, 512 px COG tiles with overviews) is written once under
``bench/data/tiles-SIZE-12``. rio-tiler 9.4.12 is installed once into ``bench/.venv-tiles`` (ignored by
git) and runs there as a small threaded HTTP server (``bench/rio_tiler_server.py``), so both sides are
measured the same way: one HTTP GET per tile from this process.

Warm, but no tile from a cache: both servers have answered tiles before the clock starts (imports done,
files in the page cache), and each round uses a new openeo-gip service (a new id, so none of its tiles is
in the server's tile cache); rio-tiler caches no tiles. Latency: the tiles of the zoom fully inside the
data, one request at a time, openeo-gip and rio-tiler alternating tile by tile. Throughput: the same tiles
requested by ``--clients`` threads at once, tiles per second. The load average of the machine is printed
with each zoom (it is shared). rio-tiler encodes at zlib level 6 (its PNG profile) and, as "rio-tiler z1",
at level 1 as openeo-gip does. The script checks that both draw the same picture (share of pixels alike).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ndvi_mean as shared  # bench/ is the script's folder, so its sibling imports as a module
import numpy as np
import pyproj
import rasterio
import requests

from openeo_gip.services.render import colour_table
from openeo_gip.services.tiles import EDGE, WEB_MERCATOR, Tile

BENCH = Path(__file__).resolve().parent
TILES_VENV = BENCH / ".venv-tiles"
TILES_PACKAGES = ["rio-tiler==9.4.12"]
DATES = 12
DATE_INDEX = 5  # the date of workload A (the first misses its west edge)
RANGE_A = (0.0, 5000.0)
RANGE_NDVI = (-0.2, 0.9)
FAST_PNG = "?zlevel=1"  # rio-tiler encoding its PNG as openeo-gip does (render.PNG_ZLEVEL)


def _tiles_python() -> Path:
    """The interpreter of rio-tiler's own environment (created on first use)."""
    python = TILES_VENV / "bin" / "python"
    if not (TILES_VENV / "ready").exists():
        print(f"creating {TILES_VENV} with rio-tiler (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TILES_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *TILES_PACKAGES], check=True)
        (TILES_VENV / "ready").touch()
    return python


def process(workload: str, date: str) -> dict:
    """The service's process: B08 of ``date``, or the 12-date NDVI mean."""
    bands = ["B08"] if workload == "A" else ["B04", "B08"]
    load = {"id": "S2", "spatial_extent": None, "bands": bands, "temporal_extent": None}
    nodes: dict = {"load": {"process_id": "load_collection", "arguments": load}}
    if workload == "A":
        load["temporal_extent"] = [date, _next_day(date)]
        last = "load"
    else:
        nodes["index"] = {
            "process_id": "ndvi",
            "arguments": {"data": {"from_node": "load"}, "nir": "B08", "red": "B04"},
        }
        mean = {"process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": True}
        nodes["mean"] = {
            "process_id": "reduce_dimension",
            "arguments": {
                "data": {"from_node": "index"},
                "dimension": "t",
                "reducer": {"process_graph": {"r": mean}},
            },
        }
        last = "mean"
    nodes[last]["result"] = True
    return {"process_graph": nodes}


def _next_day(date: str) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat()


def new_service(url: str, headers: dict, workload: str, date: str) -> str:
    """A new XYZ service (so none of its tiles is cached); its tile address template's prefix."""
    low, high = RANGE_A if workload == "A" else RANGE_NDVI
    body = {
        "type": "XYZ",
        "process": process(workload, date),
        "configuration": {"colormap": "viridis", "min": low, "max": high},
    }
    response = requests.post(f"{url}/services", json=body, headers=headers, timeout=60)
    response.raise_for_status()
    return requests.get(response.headers["Location"], headers=headers, timeout=60).json()["url"]


def tiles_inside(bounds: tuple[float, float, float, float], crs: str, z: int) -> list[Tile]:
    """The tiles of zoom ``z`` that lie wholly inside ``bounds`` (in ``crs``)."""
    to_mercator = pyproj.Transformer.from_crs(crs, WEB_MERCATOR, always_xy=True)
    west, south, east, north = to_mercator.transform_bounds(*bounds, densify_pts=21)
    size = 2 * EDGE / 2**z
    columns = range(math.ceil((west + EDGE) / size), math.floor((east + EDGE) / size))
    rows = range(math.ceil((EDGE - north) / size), math.floor((EDGE - south) / size))
    return [Tile(z, x, y) for y in rows for x in columns]


def _get(session: requests.Session, address: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = session.get(address, timeout=600)
    seconds = time.perf_counter() - started
    if response.status_code != 200 or not response.content.startswith(b"\x89PNG"):
        raise SystemExit(f"{address}: {response.status_code} {response.text[:300]}")
    return seconds, response.content


def _address(prefix: str, tile: Tile) -> str:
    return f"{prefix}/{tile.z}/{tile.x}/{tile.y}.png"


def throughput(prefix: str, tiles: list[Tile], clients: int, query: str = "") -> float:
    """Tiles per second with ``clients`` requests in flight."""
    sessions = [requests.Session() for _ in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(
            pool.map(
                lambda item: _get(sessions[item[0] % clients], _address(prefix, item[1]) + query),
                enumerate(tiles),
            )
        )
    return len(tiles) / (time.perf_counter() - started)


def agreement(first: bytes, second: bytes) -> float:
    """The share of pixels drawn alike: the same transparency and, where opaque, colours at most one step
    of the colour map apart (rio-tiler truncates a stretched value to its colour, openeo-gip rounds)."""
    images = []
    for picture in (first, second):
        with rasterio.MemoryFile(picture) as memory, memory.open() as image:
            images.append(image.read().astype(int))
    (a, b), step = images, np.abs(np.diff(colour_table("viridis").astype(int), axis=0)).max()
    alike = (a[3] == b[3]) & ((a[3] == 0) | (np.abs(a[:3] - b[:3]).max(axis=0) <= step))
    return float(alike.mean())


def spread(tiles: list[Tile], most: int) -> list[Tile]:
    """At most ``most`` of ``tiles``, evenly spread over them."""
    if len(tiles) <= most:
        return tiles
    return [tiles[round(i * (len(tiles) - 1) / (most - 1))] for i in range(most)]


def _figures(seconds: list[float]) -> str:
    ms = sorted(1000 * value for value in seconds)
    p95 = ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]
    return f"median {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  (n={len(ms)})"


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def _rio_tiler(python: Path, cog: Path, folder: Path) -> tuple[subprocess.Popen, str]:
    colours = folder / "viridis.json"
    colours.write_text(json.dumps(colour_table("viridis").tolist()))
    port = shared._free_port()
    low, high = RANGE_A
    command = [str(python), str(BENCH / "rio_tiler_server.py"), str(port), str(cog), str(low), str(high)]
    server = subprocess.Popen([*command, str(colours)], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(f"{url}/0/0/0.png", timeout=5)
            return server, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("the rio-tiler server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--zoom", type=int, action="append", help="zoom levels (default 12 and 14)")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--max-tiles", type=int, default=36, help="tiles per zoom (spread over the data)")
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    args = parser.parse_args()

    data_root = (args.data / f"tiles-{args.size}-{DATES}").resolve()
    collection = shared.write_once(data_root / "S2", args.size, DATES)
    scene = shared._scenes(collection)[DATE_INDEX]
    cog = scene["B08"]
    date = f"{cog.name.split('_')[1][:4]}-{cog.name.split('_')[1][4:6]}-{cog.name.split('_')[1][6:8]}"
    with rasterio.open(cog) as source:
        bounds, crs = tuple(source.bounds), source.crs.to_string()
    python = _tiles_python()
    print(f"machine: {os.cpu_count()} cores; {args.size}x{args.size} px, {DATES} dates; {cog.name}")

    with tempfile.TemporaryDirectory() as folder:
        gip, url, headers = shared._server(Path(folder), data_root)
        rio, rio_url = _rio_tiler(python, cog, Path(folder))
        try:
            session, rio_session = requests.Session(), requests.Session()
            for z in args.zoom or (12, 14):
                tiles = spread(tiles_inside(bounds, crs, z), args.max_tiles)
                if not tiles:
                    raise SystemExit(f"no tile of zoom {z} lies inside the data: use a larger --size")
                # warm: each server has drawn these tiles once (imports, page cache); not timed
                warm = new_service(url, headers, "A", date)
                ndvi_warm = new_service(url, headers, "NDVI", date)
                equal = []
                for tile in tiles:
                    equal.append(
                        agreement(
                            _get(session, _address(warm, tile))[1],
                            _get(rio_session, _address(rio_url, tile))[1],
                        )
                    )
                    _get(session, _address(ndvi_warm, tile))
                print(f"\nzoom {z}: {len(tiles)} tiles; {_load()}")
                print(
                    f"  A: pixels drawn alike by rio-tiler: min {min(equal):.4f}, mean {np.mean(equal):.4f}"
                )
                gip_s, rio_s, rio1_s, ndvi_s = [], [], [], []
                gip_rate, rio_rate, rio1_rate, ndvi_rate = [], [], [], []
                for _ in range(args.rounds):
                    prefix = new_service(url, headers, "A", date)
                    for tile in tiles:
                        gip_s.append(_get(session, _address(prefix, tile))[0])
                        rio_s.append(_get(rio_session, _address(rio_url, tile))[0])
                        rio1_s.append(_get(rio_session, _address(rio_url, tile) + FAST_PNG)[0])
                    ndvi = new_service(url, headers, "NDVI", date)
                    ndvi_s.extend(_get(session, _address(ndvi, tile))[0] for tile in tiles)
                    gip_rate.append(throughput(new_service(url, headers, "A", date), tiles, args.clients))
                    rio_rate.append(throughput(rio_url, tiles, args.clients))
                    rio1_rate.append(throughput(rio_url, tiles, args.clients, FAST_PNG))
                    ndvi_rate.append(throughput(new_service(url, headers, "NDVI", date), tiles, args.clients))
                ratio = statistics.median(gip_s) / statistics.median(rio_s)
                ratio1 = statistics.median(gip_s) / statistics.median(rio1_s)
                print(f"  A openeo-gip   {_figures(gip_s)}  {statistics.median(gip_rate):5.1f} tiles/s")
                print(f"  A rio-tiler    {_figures(rio_s)}  {statistics.median(rio_rate):5.1f} tiles/s")
                print(f"  A rio-tiler z1 {_figures(rio1_s)}  {statistics.median(rio1_rate):5.1f} tiles/s")
                print(f"  A gip / rio-tiler (medians): {ratio:.2f}; gip / rio-tiler z1: {ratio1:.2f}")
                print(f"  NDVI openeo-gip {_figures(ndvi_s)}  {statistics.median(ndvi_rate):5.1f} tiles/s")
                print(f"  {_load()}")
        finally:
            for server in (gip, rio):
                server.terminate()
                server.wait(30)


if __name__ == "__main__":
    main()
