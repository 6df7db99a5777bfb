"""Memory of the server during a large upload: a 2 GB file streamed to ``PUT /files/{path}``.

    .venv/bin/python bench/upload_memory.py [--gib 2] [--keep]

A real ``openeo-gip serve`` runs as a subprocess on a temporary config and folder; the upload is generated on
the fly (never held in memory) and sent with ``requests.put(data=generator)`` (chunked transfer encoding).
The server process's resident memory (RSS, psutil) is sampled every 50 ms during the upload. Printed: wall
time, MB/s, RSS before/peak/after, and the peak increase as a fraction of the file size; the stored file's
size and sha256 are compared with what was sent. The folder is deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

PASSWORD = "bench-password"
CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(folder: Path, size: int) -> Path:
    config = folder / "openeo-gip.toml"
    config.write_text(
        f"""[paths]
data_root = "data"
workspaces = "workspaces"
system_files = "system"
cache = "cache"

[database]
url = "sqlite:///{folder / "openeo-gip.db"}"

[quota]
storage_bytes = {size * 2}
file_bytes = {size}

[dask]
n_workers = 1
threads_per_worker = 1

[jobs]
runner_threads = 0
"""
    )
    (folder / "data").mkdir()
    return config


def cli(config: Path, *args: str, stdin: str | None = None) -> None:
    command = [str(Path(sys.executable).with_name("openeo-gip")), "--config", str(config), *args]
    subprocess.run(command, input=stdin, text=True, check=True, capture_output=True)


def start_server(config: Path, port: int, log: Path) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("openeo-gip")), "--config", str(config), "serve"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped; see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok:
                return process
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("the server did not answer within 120 s")


class RssSampler(threading.Thread):
    """Samples the RSS of one process until stopped; ``peak`` is the largest value seen."""

    def __init__(self, pid: int, every: float = 0.05):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.every = every
        self.peak = self.process.memory_info().rss
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self.samples += 1
            self._done.wait(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()


def payload(size: int, digest) -> object:
    """``size`` bytes of pseudo-random data, made chunk by chunk (1 MiB at a time), fed into ``digest``."""
    block = os.urandom(CHUNK)
    sent = 0
    counter = 0
    while sent < size:
        # Each chunk differs (a counter in front), so a server keeping copies could not share pages.
        chunk = (counter.to_bytes(8, "little") + block[8:])[: size - sent]
        digest.update(chunk)
        sent += len(chunk)
        counter += 1
        yield chunk


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(8 * CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0, help="size of the upload in GiB (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    size = int(args.gib * 1024**3)

    folder = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    server = None
    try:
        config = write_config(folder, size)
        cli(config, "db", "upgrade")
        cli(config, "user", "add", "bench", "--password-stdin", stdin=PASSWORD + "\n")
        port = free_port()
        server = start_server(config, port, folder / "server.log")
        url = f"http://127.0.0.1:{port}"
        token = requests.get(f"{url}/credentials/basic", auth=("bench", PASSWORD), timeout=30).json()
        headers = {"Authorization": f"Bearer basic//{token['access_token']}"}
        # One small upload first, so code paths of an upload are loaded before the "before" figure.
        requests.put(
            f"{url}/files/warm-up.bin", data=b"x" * 1000, headers=headers, timeout=60
        ).raise_for_status()

        server_process = psutil.Process(server.pid)
        before = server_process.memory_info().rss
        sampler = RssSampler(server.pid)
        sampler.start()
        digest = hashlib.sha256()
        started = time.perf_counter()
        response = requests.put(
            f"{url}/files/big/upload.bin", data=payload(size, digest), headers=headers, timeout=3600
        )
        seconds = time.perf_counter() - started
        sampler.stop()
        after = server_process.memory_info().rss
        response.raise_for_status()

        stored = folder / "workspaces" / _user_id(folder) / "files" / "big" / "upload.bin"
        same_size = stored.stat().st_size == size
        same_hash = sha256_of(stored) == digest.hexdigest()
        mb = 1e6
        print(f"upload: {size / 1024**3:.2f} GiB in {seconds:.1f} s = {size / mb / seconds:.0f} MB/s")
        print(
            f"server RSS: before {before / mb:.0f} MB, peak {sampler.peak / mb:.0f} MB, "
            f"after {after / mb:.0f} MB ({sampler.samples} samples)"
        )
        print(f"peak increase / file size: {(sampler.peak - before) / size:.4f}")
        print(f"stored file: size {'ok' if same_size else 'WRONG'}, sha256 {'ok' if same_hash else 'WRONG'}")
        print(
            f"machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 1024**3:.1f} GiB RAM, "
            f"Python {sys.version.split()[0]}"
        )
        if not (same_size and same_hash):
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _user_id(folder: Path) -> str:
    """The one account's folder (the account was created by the CLI, which does not print its id)."""
    (only,) = [path.name for path in (folder / "workspaces").iterdir() if (path / "files").is_dir()]
    return only


if __name__ == "__main__":
    main()
