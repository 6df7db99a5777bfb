"""The namespaces a UDF process runs in, made by bubblewrap (``bwrap``, Debian package ``bubblewrap``).

Inside, the process has its own user, PID, IPC, mount, network, UTS and cgroup namespaces and runs as
uid and gid 65534 (nobody). It sees ``/usr`` and the folders its Python imports from, read-only; a /proc of
its own namespace; /dev/null, /dev/zero and /dev/(u)random; and its work folder as ``/udf``, the only
place it can write. Nothing else of the host exists there: no database, config, keys, workspaces or other
processes. Its network namespace has only a loopback of its own. When the UDF's process ends, bubblewrap's
init (PID 1 of the namespace) ends and the kernel kills whatever the UDF left behind; bubblewrap ends with
the process that started it (``--die-with-parent``), so a dying server takes its UDFs with it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

WORK_INSIDE = "/udf"
NOBODY = "65534"
# Top-level folders that are links into /usr on merged-/usr systems, or folders of their own elsewhere.
SYSTEM_FOLDERS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")
# The dynamic linker's cache; the rest of /etc (passwords, keys, the server's config) stays outside.
HOST_FILES = ("/etc/ld.so.cache",)
PROBE_SECONDS = 60
# Asked of the interpreter outside the sandbox: the folders it runs and imports from.
_FOLDERS_OF_PYTHON = (
    "import json, sys, importlib.util as u; "
    "print(json.dumps([sys.prefix, sys.base_prefix, *sys.path, "
    "*u.find_spec('openeo_gip').submodule_search_locations]))"
)
# Run inside the sandbox at the check: the interpreter starts and finds the child and what it imports
# (pyseccomp, the openEO UDF API, xarray).
_IMPORTS_OF_CHILD = "import openeo_gip.udf.child"


@dataclass(frozen=True)
class Sandbox:
    """A bubblewrap that works, and the folders of the interpreter it shows read-only."""

    program: str
    folders: tuple[str, ...]

    def command(self, argv: list[str], work: Path | None) -> list[str]:
        """``argv`` run by bubblewrap, with ``work`` (if any) as its writable ``/udf``."""
        command = [self.program, "--unshare-all", "--unshare-user", "--uid", NOBODY, "--gid", NOBODY]
        command += ["--hostname", "udf", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
        for folder in SYSTEM_FOLDERS:
            if os.path.islink(folder):
                command += ["--symlink", os.readlink(folder), folder]
            elif os.path.isdir(folder):
                command += ["--ro-bind", folder, folder]
        for path in HOST_FILES:
            if os.path.exists(path):
                command += ["--ro-bind", path, path]
        for folder in self.folders:
            command += ["--ro-bind", folder, folder]
        command += ["--proc", "/proc"]
        for device in DEVICES:
            command += ["--dev-bind", device, device]
        if work is not None:
            command += ["--bind", str(work), WORK_INSIDE, "--chdir", WORK_INSIDE]
        # Last: the root bubblewrap made (and every folder it created in it) becomes read-only.
        return [*command, "--remount-ro", "/", *argv]


class _Failed(Exception):
    """A step of the check failed; the message says why."""


@functools.cache
def find_sandbox(program: str, python: str, user: int | None, group: int | None) -> Sandbox | str:
    """The sandbox for ``python`` started by ``program`` as ``user``, or why there is none. Asked once per
    process: the answer changes only when the administrator installs or removes packages."""
    found = shutil.which(program)
    if found is None:
        return f"the program {program!r} (udf.bubblewrap) is not installed; install the package bubblewrap"
    identity = {} if user is None else {"user": user, "group": group, "extra_groups": []}
    try:
        listed = _output([python, "-I", "-c", _FOLDERS_OF_PYTHON], identity)
    except _Failed as failure:
        return f"{python} cannot list its folders: {failure}"
    sandbox = Sandbox(found, _outermost(json.loads(listed)))
    try:
        _output(sandbox.command([python, "-I", "-c", _IMPORTS_OF_CHILD], None), identity)
    except _Failed as failure:
        return f"{found} cannot start a sandbox here: {failure}"
    return sandbox


def _output(command: list[str], identity: dict) -> str:
    """What ``command`` prints; ``_Failed`` with the last line of its errors when it fails."""
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=PROBE_SECONDS,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd="/",
            **identity,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise _Failed(str(error)) from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _Failed(lines[-1] if lines else f"exit status {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def _outermost(paths: list[str]) -> tuple[str, ...]:
    """The existing folders among ``paths`` (as named: links stay where the interpreter looks), without
    those inside another one, inside /usr (shown anyway) or the root itself."""
    folders = sorted(
        {os.path.normpath(path) for path in paths if os.path.isabs(path) and os.path.isdir(path)}
    )
    kept: list[str] = []
    for folder in folders:
        if folder != "/" and not any(
            folder == outer or folder.startswith(outer + "/") for outer in [*kept, "/usr"]
        ):
            kept.append(folder)
    return tuple(kept)
