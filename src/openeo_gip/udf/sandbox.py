"""Running a UDF on one piece of a cube in a child process that cannot harm the server.

Each call gets its own process (``python -I -m openeo_gip.udf.child``: no user site, no ``PYTHON*``
variables) with a fresh temporary folder as working directory and home, an environment built from scratch
(nothing of the server's: no ``OPENEO_GIP_*``, no database URL), no inherited file descriptors, limits on
CPU time, memory, file sizes, open files and new processes, and a wall-clock limit enforced here by killing
its whole process group. By default (``udf.sandbox = "bubblewrap"``) the process also runs in namespaces of
its own that show it nothing of the host but the interpreter and that folder (``bubblewrap``); where they
cannot be made, UDFs are refused unless the administrator chose ``"none"``. With ``udf.run_as`` (and a
server running as root) it also runs as that user.

What comes back is read without trust: plain files only (no links, no FIFOs, no hard links), bounded sizes,
numbers loaded without pickle, and a JSON header checked field by field (``wire.decode``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import xarray as xr

from openeo_gip.errors import ApiError, internal_error
from openeo_gip.udf.bubblewrap import WORK_INSIDE, Sandbox, find_sandbox
from openeo_gip.udf.wire import WireError, decode, encode

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024**2
MAX_ERROR_BYTES = 64 * 1024
LOG_TAIL_BYTES = 4096
# Temporary folders of UDF runs are named for the server process, so a later start can tell which are left
# over from one that died (``remove_stale_folders``).
FOLDER_PREFIX = "openeo-gip-udf-"
UNAVAILABLE = (
    "UDFs cannot run on this server: it has no sandbox to isolate them from the host. "
    "Its administrator can install the package bubblewrap (see the server's log)."
)
# Threads of numerical libraries: one, as the child may not start any (and the server has few cores).
_SINGLE_THREADED = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


@dataclass(frozen=True)
class UdfLimits:
    """What one UDF process may use; ``udf`` section of the configuration."""

    cpu_seconds: float = 60.0
    memory_mb: int = 1024
    wall_seconds: float = 120.0
    file_mb: int = 1024
    run_as: str = ""
    python: str = ""  # the interpreter; empty: the server's own
    sandbox: str = "bubblewrap"  # or "none"
    bubblewrap: str = "bwrap"

    @classmethod
    def from_config(cls, config: Any) -> UdfLimits:
        return cls(
            cpu_seconds=config.cpu_seconds,
            memory_mb=config.memory_mb,
            wall_seconds=config.wall_seconds,
            file_mb=config.file_mb,
            run_as=config.run_as,
            python=config.python,
            sandbox=config.sandbox,
            bubblewrap=config.bubblewrap,
        )

    @property
    def interpreter(self) -> str:
        return self.python or sys.executable


def udf_error(reason: str) -> ApiError:
    return ApiError("UdfError", reason=reason)


def run_in_sandbox(source: str, cube: xr.DataArray, context: Any, limits: UdfLimits) -> xr.DataArray:
    """``apply_datacube(cube, context)`` of ``source``, computed in a child process."""
    try:
        header, values = encode(cube)
    except WireError as error:
        raise udf_error(str(error)) from None
    account = _account(limits.run_as)
    sandbox = _sandbox(limits, account)
    # The child works in ``outer/work``; ``outer`` stays the server's, so the child cannot swap its folder
    # for a link while the server reads from it.
    outer = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
    try:
        work = outer / "work"
        work.mkdir(mode=0o700)
        request = {"header": header, "context": context, "limits": _limits_for_child(limits)}
        (work / "input.json").write_text(json.dumps(request), encoding="utf-8")
        np.save(work / "input.npy", values, allow_pickle=False)
        (work / "udf.py").write_text(source, encoding="utf-8")
        if account is not None:
            os.chmod(outer, 0o711)
            for path in [work, *work.iterdir()]:
                os.chown(path, account.pw_uid, account.pw_gid)
        returncode = _run_child(work, account, limits, sandbox)
        return _answer(work, returncode, limits)
    finally:
        _remove(outer)


def _sandbox(limits: UdfLimits, account: pwd.struct_passwd | None) -> Sandbox | None:
    """bubblewrap's sandbox; ``None`` where the administrator chose none; refused where there is none."""
    if limits.sandbox == "none":
        return None
    found = find_sandbox(limits.bubblewrap, limits.interpreter, *_ids(account))
    if isinstance(found, str):
        raise ApiError("FeatureUnsupported", UNAVAILABLE)
    return found


def _ids(account: pwd.struct_passwd | None) -> tuple[int | None, int | None]:
    return (None, None) if account is None else (account.pw_uid, account.pw_gid)


def announce_isolation(limits: UdfLimits) -> None:
    """Says in the server's log at start how UDFs run here, or why they are refused (a warning unless they
    run in bubblewrap's sandbox), and removes the folders runs left when their server died."""
    remove_stale_folders()
    if limits.sandbox == "none":
        log.warning(
            'UDFs run WITHOUT a sandbox (udf.sandbox = "none"): the code of users can read and write '
            "whatever the account %s can",
            limits.run_as or "of the server",
        )
        return
    try:
        found = find_sandbox(limits.bubblewrap, limits.interpreter, *_ids(_account(limits.run_as)))
    except ApiError:
        found = f"udf.run_as names {limits.run_as!r}, which cannot be used"
    if isinstance(found, str):
        log.warning(
            "UDFs are refused: %s. Install the package bubblewrap, or accept UDFs without a sandbox with "
            'udf.sandbox = "none" (their code can then read what the server can)',
            found,
        )
    else:
        log.info(
            "UDFs run in a bubblewrap sandbox (%s): their own user, PID, IPC, mount and network namespaces, "
            "no network, read-only %s",
            found.program,
            ", ".join(["/usr", *found.folders]),
        )


def remove_stale_folders() -> None:
    """Temporary folders of UDF runs whose server process is gone (it crashed or was killed meanwhile)."""
    for folder in Path(tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        owner = folder.name[len(FOLDER_PREFIX) :].partition("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            _remove(folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another account's process
        return True
    return True


def _limits_for_child(limits: UdfLimits) -> dict:
    return {"cpu_seconds": limits.cpu_seconds, "memory_mb": limits.memory_mb, "file_mb": limits.file_mb}


def _account(name: str) -> pwd.struct_passwd | None:
    if not name:
        return None
    if os.geteuid() != 0:
        raise _setup_error("udf.run_as needs a server running as root (to switch users)")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise _setup_error(f"udf.run_as names the account {name!r}, which does not exist") from None


def _setup_error(reason: str) -> ApiError:
    """The server's configuration keeps UDFs from running, not the user's code: an ``Internal`` error whose
    reference leads to ``reason`` in the server log."""
    return internal_error(log, "Running UDFs", detail=reason)


def _environment(home: Path) -> dict[str, str]:
    """Built from nothing, so no secret of the server (database URL, signing key, tokens) can leak."""
    return {
        "HOME": str(home),
        "TMPDIR": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        **_SINGLE_THREADED,
    }


def _run_child(
    work: Path, account: pwd.struct_passwd | None, limits: UdfLimits, sandbox: Sandbox | None
) -> int:
    identity: dict[str, Any] = {}
    if account is not None:
        identity = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    python = limits.interpreter
    command = [python, "-I", "-m", "openeo_gip.udf.child"]
    if sandbox is not None:
        command = sandbox.command(command, work)
    with open(work.parent / "udf.log", "wb") as output:
        try:
            child = subprocess.Popen(
                command,
                cwd=work,
                env=_environment(Path(WORK_INSIDE) if sandbox is not None else work),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                close_fds=True,
                start_new_session=True,  # its own process group: one kill stops it and all it started
                **identity,
            )
        except OSError as error:
            raise _setup_error(f"{python} cannot be started (udf.python, udf.run_as): {error}") from None
        try:
            returncode = child.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            child.wait()
            raise udf_error(
                f"it ran longer than the {limits.wall_seconds:g} seconds a UDF may take and was stopped"
            ) from None
        finally:
            _kill_group(child)  # bubblewrap's namespace goes with it (--die-with-parent)
    _log_output(work.parent / "udf.log", returncode)
    if sandbox is not None and returncode > 128:  # bubblewrap's way to tell that signal n killed the UDF
        return -(returncode - 128)
    return returncode


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _log_output(path: Path, returncode: int) -> None:
    """The end of what the child printed, for administrators (users may print from their UDF)."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    with open(path, "rb") as output:
        output.seek(max(path.stat().st_size - LOG_TAIL_BYTES, 0))
        tail = output.read().decode("utf-8", "replace")
    log.debug("UDF process ended with %s; output:\n%s", returncode, tail)


def _answer(work: Path, returncode: int, limits: UdfLimits) -> xr.DataArray:
    report = _open_plain_file(work / "error.json", MAX_ERROR_BYTES)
    if report is not None:
        with report:
            raise udf_error(_reported_problem(report.read(MAX_ERROR_BYTES), limits))
    if returncode == -signal.SIGXCPU:
        raise udf_error(f"it used more than the {limits.cpu_seconds:g} seconds of CPU time a UDF may use")
    if returncode == -signal.SIGKILL:
        raise udf_error(
            f"its process was killed for exceeding a limit ({limits.memory_mb} MB of memory, "
            f"{limits.cpu_seconds:g} s of CPU time)"
        )
    if returncode != 0:
        raise udf_error(f"its process ended (exit status {returncode}) without a result")
    try:
        with contextlib.ExitStack() as opened:  # each file is closed, whatever happens to the other one
            header_file = _open_plain_file(work / "result.json", MAX_HEADER_BYTES)
            if header_file is not None:
                opened.enter_context(header_file)
            value_file = _open_plain_file(work / "result.npy", limits.file_mb * 1024**2)
            if value_file is not None:
                opened.enter_context(value_file)
            if header_file is None or value_file is None:
                raise udf_error("its process ended without a result")
            header = json.loads(header_file.read(MAX_HEADER_BYTES))
            values = _load_values(value_file)
        return decode(header, values)
    except WireError as error:
        raise udf_error(f"its result is not usable: {error}") from None
    except (ValueError, OSError, EOFError, RecursionError):
        raise udf_error("its result is not a readable array of numbers") from None


def _load_values(file: BinaryIO) -> np.ndarray:
    """The ``.npy`` array, after checking that its header announces exactly the bytes the file holds (a
    forged header must not make the server allocate more)."""
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(file)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(file)
    remaining = os.fstat(file.fileno()).st_size - file.tell()
    if dtype.hasobject or math.prod(shape) * dtype.itemsize != remaining:
        raise ValueError("the array header does not match the file")
    file.seek(0)
    return np.load(file, allow_pickle=False)


def _reported_problem(raw: bytes, limits: UdfLimits) -> str:
    try:
        report = json.loads(raw)
    except (ValueError, RecursionError):
        report = None
    if not isinstance(report, dict):
        return "its process reported a failure it could not describe"
    kind, message = report.get("kind"), str(report.get("message", ""))[:2000]
    if kind == "memory":
        return f"it needed more than the {limits.memory_mb} MB of memory a UDF may use"
    if kind == "result":
        return f"its result is not usable: {message}"
    lines = [str(line)[:300] for line in report.get("traceback", []) if isinstance(line, str)][:20]
    where = "".join(f"\n  {line}" for line in lines)
    return f"it raised {message}{where}"


def _open_plain_file(path: Path, max_bytes: int) -> BinaryIO | None:
    """A regular file the child wrote, opened for reading; links, FIFOs and oversized files are refused."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError:
        raise udf_error(f"its process left something other than a file as '{path.name}'") from None
    info = os.fstat(descriptor)  # before fdopen, which a folder would make fail with the descriptor open
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(descriptor)
        raise udf_error(f"its process left something other than a file as '{path.name}'")
    if info.st_size > max_bytes:
        os.close(descriptor)
        raise udf_error(f"its result is larger than the {max_bytes // 1024**2} MB a UDF may return")
    return os.fdopen(descriptor, "rb")


def _remove(folder: Path) -> None:
    """Delete the folder even if the UDF took the permissions away from folders it made."""

    def retry(function, path, _error) -> None:
        try:
            parent = os.path.dirname(path)
            if stat.S_ISDIR(os.lstat(parent).st_mode):
                os.chmod(parent, 0o700)
            if stat.S_ISDIR(os.lstat(path).st_mode):
                os.chmod(path, 0o700)
            function(path)
        except OSError:
            log.warning("could not remove %s of a UDF process", path)

    shutil.rmtree(folder, onerror=retry)
