"""Batch-job throughput: N small jobs submitted at once, time until all finished, then the server's idle CPU;
and the W1 chain (NDVI -> mean over time -> GTiff) as a batch job against the same graph on ``/result``.

    .venv/bin/python bench/jobs_throughput.py [--jobs 100] [--size 64] [--threads 2]

Everything runs on loopback in a temporary folder: synthetic data, SQLite, a waitress server in this process.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from waitress.server import create_server

from openeo_gip.app import create_app
from openeo_gip.auth.passwords import hash_password
from openeo_gip.config import Config, load_config
from openeo_gip.db import User
from openeo_gip.demodata import synthetic
from openeo_gip.server import waitress_options

PASSWORD = "bench-password"


def small_graph() -> dict:
    return {
        "process_graph": {
            "load": {
                "process_id": "load_collection",
                "arguments": {"id": "S2", "spatial_extent": None, "temporal_extent": None, "bands": ["B04"]},
            },
            "save": {
                "process_id": "save_result",
                "arguments": {"data": {"from_node": "load"}, "format": "GTiff"},
                "result": True,
            },
        }
    }


def w1_graph() -> dict:
    """NDVI per date, mean over time, one GeoTIFF."""
    ndvi = {"process_id": "ndvi", "arguments": {"data": {"from_node": "load"}, "nir": "B08", "red": "B04"}}
    mean = {"process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": True}
    return {
        "process_graph": {
            "load": {
                "process_id": "load_collection",
                "arguments": {
                    "id": "S2",
                    "spatial_extent": None,
                    "temporal_extent": None,
                    "bands": ["B04", "B08"],
                },
            },
            "ndvi": ndvi,
            "reduce": {
                "process_id": "reduce_dimension",
                "arguments": {
                    "data": {"from_node": "ndvi"},
                    "dimension": "t",
                    "reducer": {"process_graph": {"m": mean}},
                },
            },
            "save": {
                "process_id": "save_result",
                "arguments": {"data": {"from_node": "reduce"}, "format": "GTiff"},
                "result": True,
            },
        }
    }


def make_config(folder: Path, threads: int) -> Config:
    environ = {
        "OPENEO_GIP_DATABASE__URL": f"sqlite:///{folder / 'bench.db'}",
        "OPENEO_GIP_JOBS__RUNNER_THREADS": str(threads),
        "OPENEO_GIP_JOBS__MAX_RUNNING": str(threads),
        "OPENEO_GIP_JOBS__MAX_RUNNING_PER_USER": str(threads),
        "OPENEO_GIP_JOBS__POLL_SECONDS": "1",
    }
    config = load_config(None, environ=environ)
    data = config.model_dump()
    data["paths"] = {name: str(folder / name) for name in ("data", "workspaces", "system", "cache")}
    data["paths"] = {
        "data_root": data["paths"]["data"],
        "workspaces": data["paths"]["workspaces"],
        "system_files": data["paths"]["system"],
        "cache": data["paths"]["cache"],
    }
    data["base_dir"] = folder
    return Config(**data).resolved()


def run_job(url: str, headers: dict, process: dict) -> str:
    response = requests.post(f"{url}/jobs", json={"process": process}, headers=headers, timeout=60)
    response.raise_for_status()
    job_id = response.headers["OpenEO-Identifier"]
    requests.post(f"{url}/jobs/{job_id}/results", headers=headers, timeout=60).raise_for_status()
    return job_id


def wait_all(url: str, headers: dict, ids: list[str]) -> dict[str, str]:
    pending = set(ids)
    statuses: dict[str, str] = {}
    while pending:
        listing = requests.get(f"{url}/jobs", headers=headers, timeout=60).json()["jobs"]
        for job in listing:
            if job["id"] in pending and job["status"] in ("finished", "error", "canceled"):
                statuses[job["id"]] = job["status"]
                pending.discard(job["id"])
        time.sleep(0.2)
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--size", type=int, default=64, help="edge of the synthetic rasters, in pixels")
    parser.add_argument("--threads", type=int, default=2, help="runner threads (= jobs at once)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="openeo-gip-bench-") as temp:
        folder = Path(temp)
        synthetic.write_sentinel2_demo(
            folder / "data" / "S2", size=args.size, dates=3, blocksize=min(args.size, 256)
        )
        config = make_config(folder, args.threads)
        app = create_app(config)
        services = app.extensions["openeo_gip"]
        with services.db.session() as session:
            session.add(User(name="bench", password_hash=hash_password(PASSWORD)))
        server = create_server(app, host="127.0.0.1", port=0, **waitress_options(config))
        url = f"http://127.0.0.1:{server.effective_port}"
        config.server.public_url = url
        threading.Thread(target=server.run, daemon=True).start()
        token = requests.get(f"{url}/credentials/basic", auth=("bench", PASSWORD), timeout=60).json()
        headers = {"Authorization": f"Bearer basic//{token['access_token']}"}

        start = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(lambda _: run_job(url, headers, small_graph()), range(args.jobs)))
        submitted = time.perf_counter() - start
        statuses = wait_all(url, headers, ids)
        elapsed = time.perf_counter() - start
        finished = sum(status == "finished" for status in statuses.values())
        print(
            f"{args.jobs} jobs: submitted in {submitted:.1f} s, all done in {elapsed:.1f} s "
            f"({args.jobs / elapsed:.1f} jobs/s), {finished} finished"
        )

        cpu_before, wall_before = time.process_time(), time.perf_counter()
        time.sleep(5)
        idle = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
        print(f"idle server CPU: {100 * idle:.2f} % of one core")

        start = time.perf_counter()
        response = requests.post(f"{url}/result", json={"process": w1_graph()}, headers=headers, timeout=600)
        response.raise_for_status()
        sync_seconds = time.perf_counter() - start
        start = time.perf_counter()
        job_id = run_job(url, headers, w1_graph())
        status = wait_all(url, headers, [job_id])[job_id]
        batch_seconds = time.perf_counter() - start
        print(
            f"W1 (ndvi -> mean over t -> GTiff, {args.size} px): /result {sync_seconds:.2f} s, "
            f"batch job {batch_seconds:.2f} s ({status})"
        )
        services.jobs.stop()
        services.cluster.close()


if __name__ == "__main__":
    main()
