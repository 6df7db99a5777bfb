"""bubblewrap's namespace on its own: whatever runs in it ends with it, and it ends with its starter.

A UDF cannot start processes at all (its seccomp filter); these tests start some with a shell in the same
sandbox, to show that the namespace would take them along anyway.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from openeo_gip.udf.bubblewrap import Sandbox, find_sandbox

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    found = find_sandbox("bwrap", sys.executable, None, None)
    assert isinstance(found, Sandbox), found
    return found


def marked_sleep() -> str:
    """A ``sleep`` no other process on this machine runs: its seconds are the marker."""
    return f"{1000 + secrets.randbelow(10**6)}.5"


def running(seconds: str) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().split(b"\0")[:2] == [b"sleep", seconds.encode()]:
                return True
        except OSError:
            continue
    return False


def gone(seconds: str, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while running(seconds):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def started(seconds: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not running(seconds):
        assert time.monotonic() < deadline, "the sandbox did not start"
        time.sleep(0.05)


def test_what_the_sandbox_leaves_behind_dies_with_it(sandbox):
    seconds = marked_sleep()
    # A daemon: its own session, and the shell that started it ends soon after.
    shell = f"setsid sleep {seconds} </dev/null >/dev/null 2>&1 & sleep 1; exit 0"
    inside = subprocess.Popen(sandbox.command(["/bin/sh", "-c", shell], None))
    started(seconds)
    assert inside.wait(timeout=30) == 0
    assert gone(seconds)


def test_a_dying_server_takes_its_sandbox_along(sandbox):
    seconds = marked_sleep()
    command = sandbox.command(["sleep", seconds], None)
    starter = (
        f"import subprocess, time; subprocess.Popen({command!r}, start_new_session=True); time.sleep(600)"
    )
    server = subprocess.Popen([sys.executable, "-c", starter])
    try:
        started(seconds)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    assert gone(seconds)


def test_an_interpreter_without_the_openeo_udf_api_gets_no_sandbox(tmp_path):
    """The child imports openeo.udf: an interpreter that lacks it is refused at the check, with the reason,
    rather than failing every UDF later."""
    venv = tmp_path / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", venv], check=True)
    [site_packages] = venv.glob("lib/python*/site-packages")
    (site_packages / "openeo").mkdir()
    (site_packages / "openeo" / "__init__.py").write_text("raise ImportError('no openeo here')\n")
    server_packages = sysconfig.get_paths()["purelib"]
    (site_packages / "server.pth").write_text(f"import site; site.addsitedir({server_packages!r})\n")
    python = str(venv / "bin" / "python")
    found = find_sandbox("bwrap", python, None, None)
    assert isinstance(found, str) and "no openeo here" in found
