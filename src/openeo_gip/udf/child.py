"""The program a UDF process runs (``python -I -m openeo_gip.udf.child`` in a fresh temporary folder).

It reads the piece of cube and the code the server wrote into its working folder, sets its own resource
limits, calls the user's code (``entry_points``: ``apply_datacube(cube, context)`` and the rest of the
openEO UDF API) and writes the result (``result.npy`` plus
``result.json``) or a description of what went wrong (``error.json``). This is the only place where user
code is executed, and it is never the server's process.
"""

from __future__ import annotations

import errno
import json
import math
import os
import resource
import sys
import traceback
from pathlib import Path

import numpy as np
import pyseccomp
import xarray as xr

# Loads the openEO UDF API (and with it pandas) before the limits: it is part of the runtime, not the UDF.
from openeo_gip.udf.entry_points import UDF_FILE, UdfProblem, call_user_code, user_globals
from openeo_gip.udf.wire import WireError, decode, encode

MAX_MESSAGE = 2000
MAX_TRACEBACK_LINES = 20
# The system calls that make processes and threads.
NEW_PROCESSES = ("fork", "vfork", "clone", "clone3")


def _limit(kind: int, soft: int, hard: int | None = None) -> None:
    _, current_hard = resource.getrlimit(kind)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(kind, (soft, hard))


def _virtual_memory_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def apply_limits(limits: dict) -> None:
    """Limits for everything that follows; the runtime already loaded (numpy, xarray) does not count."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + limits["cpu_seconds"])
    _limit(resource.RLIMIT_CPU, cpu, cpu + 2)  # SIGXCPU at the soft limit, SIGKILL at the hard one
    _limit(resource.RLIMIT_AS, _virtual_memory_bytes() + limits["memory_mb"] * 1024**2)
    _limit(resource.RLIMIT_FSIZE, limits["file_mb"] * 1024**2)
    _limit(resource.RLIMIT_NOFILE, 64)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_NPROC, 0)
    _forbid_new_processes()
    os.nice(5)  # the server's own threads go first


def _forbid_new_processes() -> None:
    """No new processes or threads, whoever the process runs as: ``RLIMIT_NPROC`` counts per user and
    spares root (the server's account in a container, and bubblewrap's outside its namespace), a seccomp
    filter spares no one. Calls of other architectures (32-bit ones on a 64-bit kernel) kill the process."""
    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    for name in NEW_PROCESSES:
        rules.add_rule(pyseccomp.ERRNO(errno.EAGAIN), name)
    rules.load()


def _user_traceback(error: BaseException) -> list[str]:
    """Only the frames of the user's own code: no paths or code of the server."""
    lines = []
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == UDF_FILE:
            source = f": {frame.line.strip()}" if frame.line else ""
            lines.append(f"line {frame.lineno}, in {frame.name}{source}")
    if isinstance(error, SyntaxError) and error.filename == UDF_FILE:
        lines.append(f"line {error.lineno}: {(error.text or '').strip()}")
    return lines[-MAX_TRACEBACK_LINES:]


def _report(kind: str, message: str, lines: list[str] | None = None) -> None:
    report = {"kind": kind, "message": message[:MAX_MESSAGE], "traceback": lines or []}
    Path("error.json").write_text(json.dumps(report), encoding="utf-8")


def run(source: str, cube: xr.DataArray, context: object) -> xr.DataArray:
    namespace = user_globals()
    # Running the user's code is the purpose of this process; it is never done in the server.
    exec(compile(source, UDF_FILE, "exec"), namespace)  # noqa: S102
    return call_user_code(namespace, cube, context)


def main() -> int:
    request = json.loads(Path("input.json").read_text(encoding="utf-8"))
    values = np.load("input.npy", allow_pickle=False)
    cube = decode(request["header"], values)
    source = Path(UDF_FILE).read_text(encoding="utf-8")
    apply_limits(request["limits"])
    # User output (print) goes to the log, never into the answer.
    os.dup2(2, 1)
    try:
        result = run(source, cube, request["context"])
    except MemoryError:
        _report("memory", "the UDF needed more memory than it may use")
        return 0
    except UdfProblem as problem:
        _report("result", str(problem))
        return 0
    except Exception as error:  # everything the user's code raised goes back to the user
        lines = _user_traceback(error)
        _report("exception", f"{type(error).__name__}: {error}", lines)
        return 0
    try:
        result_header, result_values = encode(result)
    except WireError as problem:
        _report("result", str(problem))
        return 0
    try:
        np.save("result.npy", np.ascontiguousarray(result_values), allow_pickle=False)
        Path("result.json").write_text(json.dumps(result_header), encoding="utf-8")
    except OSError:
        _report("result", "the result is larger than a UDF may return")
    return 0


if __name__ == "__main__":
    sys.exit(main())
