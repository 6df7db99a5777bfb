"""Catalogue API of a real ``openeo-gip serve`` with many collections, and the idle server's CPU (issue #17).

    .venv/bin/python bench/catalog_api.py [--collections 500] [--requests 50] [--windows 3] [--seconds 10]

Writes once, under ``bench/data/catalog-N``, N small Sentinel-2 collections with the project's generator
(``synthetic.write_sentinel2_demo``: 16 x 16 px, 2 dates, 5 bands each). The first is named ``S2`` so the
tiny W1 request of ``ndvi_mean._warm_up`` starts the server's Dask cluster; the others are ``S2_001`` ...

Then, logged in as the other scripts do (``ndvi_mean._server``), one request at a time over one
keep-alive connection, after a few warm-up requests that are not counted:

- ``GET /collections`` (the first page, as a client without ``limit`` asks for it) and
  ``GET /collections/{id}`` (ids spread over the catalogue): median and p95 of ``--requests`` each, and
  the server's CPU time per request (what the latency is without waiting for a core on a busy machine);
- the server's CPU (user + system, psutil) over one window before its Dask cluster has started, and over
  ``--windows`` windows after one tiny ``POST /result`` started it, as % of one core.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import ndvi_mean as shared  # bench/ is the script's folder, so its siblings import as modules
import psutil
import requests
from tiles import _figures, _load

from openeo_gip.demodata import synthetic

BENCH = Path(__file__).resolve().parent
WARM_UP = 5  # requests of each kind before the clock starts (imports, caches, the first page built)
SETTLE = 5.0  # seconds between the request that starts the cluster and the first idle window


def collection_ids(count: int) -> list[str]:
    return ["S2", *(f"S2_{number:03d}" for number in range(1, count))]


def write_catalogue(data_root: Path, count: int) -> None:
    """Tiny collections, each written unless its sidecar (written last) is there already."""
    missing = [name for name in collection_ids(count) if not (data_root / name / "collection.toml").exists()]
    if missing:
        print(f"writing {len(missing)} collections to {data_root} (once) ...", flush=True)
    for name in missing:
        synthetic.write_sentinel2_demo(data_root / name, size=16, dates=2, blocksize=128)


def wait_listed(session: requests.Session, url: str, count: int) -> None:
    """Until the server's catalogue lists all ``count`` collections (it scans the data root first)."""
    for _ in range(600):
        listed = session.get(f"{url}/collections", timeout=60).json()["collections"]
        if len(listed) >= count:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the server lists {len(listed)} of {count} collections")


def timed_gets(session: requests.Session, addresses: list[str]) -> list[float]:
    """Seconds of each GET (until its whole body has arrived), one at a time."""
    seconds = []
    for address in addresses:
        started = time.perf_counter()
        session.get(address, timeout=60).raise_for_status()
        seconds.append(time.perf_counter() - started)
    return seconds


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (in clock ticks of 10 ms)."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def idle_cpu(pid: int, seconds: float) -> float:
    """CPU used by process ``pid`` over ``seconds`` of waiting, in % of one core."""
    before, started = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / (time.perf_counter() - started)


def report(pid: int, session: requests.Session, addresses: list[str]) -> None:
    """Latency of GETs of ``addresses`` and the server's CPU time per request (without waiting time)."""
    before = cpu_seconds(pid)
    seconds = timed_gets(session, addresses)
    per_request = 1000 * (cpu_seconds(pid) - before) / len(addresses)
    print(f"  {_figures(seconds)}; server CPU {per_request:.1f} ms per request")


def measure_api(pid: int, session: requests.Session, url: str, count: int, repeat: int) -> None:
    first = session.get(f"{url}/collections", timeout=60)
    page = first.json()
    paged = any(link["rel"] == "next" for link in page["links"])
    listed = len(page["collections"])
    size = f"page size {listed}" if paged else "not paged: all on the first page"
    print(f"GET /collections: {listed} collections, {len(first.content) / 1000:.0f} kB, {size}")
    timed_gets(session, [f"{url}/collections"] * WARM_UP)
    report(pid, session, [f"{url}/collections"] * repeat)

    ids = collection_ids(count)
    chosen = [ids[number * len(ids) // repeat] for number in range(repeat)]
    detail = session.get(f"{url}/collections/{chosen[0]}", timeout=60)
    print(f"GET /collections/{{id}}: {len(detail.content) / 1000:.1f} kB each, {len(set(chosen))} ids")
    timed_gets(session, [f"{url}/collections/{name}" for name in ids[-WARM_UP:]])
    report(pid, session, [f"{url}/collections/{name}" for name in chosen])
    print(f"  {_load()}")


def measure_idle(pid: int, url: str, headers: dict, windows: int, seconds: float) -> None:
    print(f"idle CPU before the Dask cluster has started: {idle_cpu(pid, seconds):.2f} % of one core")
    shared._warm_up(url, headers)  # one tiny POST /result: starts the cluster
    time.sleep(SETTLE)
    figures = [idle_cpu(pid, seconds) for _ in range(windows)]
    shown = ", ".join(f"{value:.2f}" for value in figures)
    print(f"idle CPU with a started cluster, {windows} x {seconds:g} s: {shown} % of one core")
    print(f"  {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collections", type=int, default=500)
    parser.add_argument("--requests", type=int, default=50, help="timed requests of each kind")
    parser.add_argument("--windows", type=int, default=3, help="idle CPU windows with a started cluster")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one idle CPU window")
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    args = parser.parse_args()

    data_root = (args.data / f"catalog-{args.collections}").resolve()
    write_catalogue(data_root, args.collections)
    print(f"machine: {os.cpu_count()} cores; {args.collections} collections; {_load()}")
    with tempfile.TemporaryDirectory() as folder:
        server, url, headers = shared._server(Path(folder), data_root)
        try:
            session = requests.Session()
            session.headers.update(headers)
            wait_listed(session, url, args.collections)
            measure_api(server.pid, session, url, args.collections, args.requests)
            measure_idle(server.pid, url, headers, args.windows, args.seconds)
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
