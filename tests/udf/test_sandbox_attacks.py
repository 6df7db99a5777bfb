"""Hostile UDFs (#13 item 4) through a real server process in its default configuration (bubblewrap).

Each UDF tries one attack and raises what it achieved as JSON (the error message is how a UDF's findings
reach the test); the test checks that it achieved nothing, while the target exists on the host, and that
the server still serves others.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
import requests

import openeo_gip
from openeo_gip.config import load_config
from openeo_gip.db import Database, accounts
from openeo_gip.jobs.links import signing_secret
from tests.support.server_process import ServerProcess, assert_openeo_error, assert_still_serving
from tests.support.udf_requests import run_udf

pytestmark = pytest.mark.slow

MARKER = f"OPENEO_GIP_TEST_SECRET_{secrets.token_hex(8)}"
UDF_LIMITS = {"cpu_seconds": 5, "memory_mb": 300, "wall_seconds": 4, "file_mb": 20}


def stale_folder() -> Path:
    """A UDF folder as a server that died during a run leaves it behind."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    folder = Path(tempfile.mkdtemp(prefix=f"openeo-gip-udf-{dead.pid}-"))
    (folder / "work").mkdir()
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server holds a secret in its environment, bob has a file in his workspace, a signing key exists,
    and a dead server left a UDF folder. The UDFs here are hostile (they kill and fork): they must never run
    outside the sandbox, whatever the environment of the tests says."""
    left_over = stale_folder()
    sections = {"udf": {**UDF_LIMITS, "sandbox": "bubblewrap"}}
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("OPENEO_GIP_UDF__"):
                patch.delenv(name)
        patch.setenv("OPENEO_GIP_ATTACK_MARKER", MARKER)  # inherited by the server process only
        with ServerProcess(tmp_path_factory.mktemp("udf-attacks"), sections=sections) as server:
            patch.delenv("OPENEO_GIP_ATTACK_MARKER")
            if "UDFs run in a bubblewrap sandbox" not in server.log_text():
                pytest.fail(f"the server does not run UDFs in bubblewrap:\n{server.log_text()[-2000:]}")
            server.left_over = left_over
            signing_secret(load_config(server.config_file))
            response = requests.put(
                f"{server.url}/files/secret.txt",
                data=b"bob's secret",
                headers=server.token("bob"),
                timeout=30,
            )
            assert response.status_code == 200, response.text
            yield server


def test_the_start_says_how_udfs_run_and_removes_folders_of_dead_runs(server):
    assert "UDFs run in a bubblewrap sandbox" in server.log_text()
    assert not server.left_over.exists()


def workspace(server: ServerProcess, name: str) -> Path:
    db = Database(server.sections["database"]["url"])
    try:
        return server.folder / "workspaces" / accounts.find_user(db, name).id
    finally:
        db.dispose()


def targets(server: ServerProcess) -> dict[str, str]:
    """Files of the server and of bob, each checked to exist on the host (so not reading them means
    something)."""
    found = {
        "database": server.folder / "openeo-gip.db",
        "config": server.config_file,
        "signing_key": server.folder / "system" / "download-signing.key",
        "bobs_file": workspace(server, "bob") / "files" / "secret.txt",
    }
    for name, path in found.items():
        assert path.is_file(), f"{name} {path} should exist on the host"
    return {name: str(path) for name, path in found.items()}


def attempt(server: ServerProcess, body: str, context: dict | None = None) -> dict:
    """What ``body`` (the inside of ``apply_datacube``, filling ``found``) achieved in a UDF on the server;
    ``outcome(action)`` tells whether a call succeeded (and what it returned) or which error it raised."""
    code = (
        f"{UDF_HEADER}\n"
        "def apply_datacube(cube, context):\n"
        "    found = {}\n"
        f"{textwrap.indent(textwrap.dedent(body), '    ')}\n"
        "    raise RuntimeError('FOUND' + json.dumps(found))\n"
    )
    response = run_udf(server, code, context)
    message = assert_openeo_error(response, 400, "UdfError")["message"]
    assert "FOUND" in message, message
    return json.loads(message.split("FOUND", 1)[1].split("\n", 1)[0])


UDF_HEADER = """
import json, os, socket


def outcome(action):
    try:
        return "succeeded: " + repr(action())[:200]
    except BaseException as error:
        return type(error).__name__
"""


def test_the_servers_files_and_other_users_files_cannot_be_read(server):
    paths = targets(server)
    found = attempt(
        server,
        """
        for name, path in context["paths"].items():
            found[name] = outcome(lambda: open(path, "rb").read())
        found["server_folder"] = outcome(lambda: os.listdir(context["folder"]))
        """,
        {"paths": paths, "folder": str(server.folder)},
    )
    assert set(found) == {*paths, "server_folder"}
    assert all(outcome == "FileNotFoundError" for outcome in found.values()), found
    assert_still_serving(server)


def test_nothing_of_the_host_is_visible_but_the_interpreter(server):
    found = attempt(
        server,
        """
        found["top"] = sorted(os.listdir("/"))
        found["etc"] = sorted(os.listdir("/etc"))
        found["processes"] = sorted(name for name in os.listdir("/proc") if name.isdigit())
        found["uid"] = [os.getuid(), os.getgid()]
        found["hostname"] = socket.gethostname()
        """,
    )
    interpreter = {Path(folder).parts[1] for folder in (sys.prefix, sys.base_prefix, *openeo_gip.__path__)}
    assert (
        set(found["top"])
        <= {"usr", "bin", "sbin", "lib", "lib32", "lib64", "etc", "proc", "dev", "udf"} | interpreter
    )
    assert found["etc"] == ["ld.so.cache"]
    assert found["processes"] == ["1", "2"], "bubblewrap's init and the UDF: no process of the host"
    assert found["uid"] == [65534, 65534] and found["hostname"] == "udf"
    assert_still_serving(server)


def test_the_servers_environment_cannot_be_read(server):
    found = attempt(
        server,
        """
        found["own"] = sorted(os.environ)
        for pid in {os.getppid(), 1, context["server"]}:
            found[f"environ of {pid}"] = outcome(lambda: open(f"/proc/{pid}/environ", "rb").read().decode())
        """,
        {"server": server.pid},
    )
    assert MARKER in Path(f"/proc/{server.pid}/environ").read_bytes().decode(errors="replace")
    assert MARKER not in json.dumps(found), found
    assert not any(name.startswith("OPENEO_GIP") for name in found["own"])
    assert_still_serving(server)


def test_no_local_service_can_be_reached(server):
    with socket.socket() as listener:  # a service that surely listens on the host's loopback
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        ports = {"postgres": 5432, "server": server.port, "listener": listener.getsockname()[1]}
        found = attempt(
            server,
            """
            for name, port in context["ports"].items():
                address = ("127.0.0.1", port)
                found[name] = outcome(lambda: socket.create_connection(address, timeout=2).close())
            found["outside"] = outcome(lambda: socket.create_connection(("1.1.1.1", 53), timeout=2).close())
            """,
            {"ports": ports},
        )
    assert found == {
        "postgres": "ConnectionRefusedError",
        "server": "ConnectionRefusedError",
        "listener": "ConnectionRefusedError",
        "outside": "OSError",  # no route: the namespace has nothing but its own loopback
    }, found
    assert_still_serving(server)


def test_nothing_can_be_written_outside_its_own_folder(server):
    bobs = workspace(server, "bob") / "files"
    found = attempt(
        server,
        """
        for name, path in context["paths"].items():
            found[name] = outcome(lambda: open(path, "w").write("planted"))
        found["own"] = outcome(lambda: open("mine.txt", "w").write("mine"))
        """,
        {"paths": {"bob": str(bobs / "planted.txt"), "usr": "/usr/planted.txt", "root": "/planted.txt"}},
    )
    assert found["own"] == "succeeded: 4"
    assert found["bob"] in {"FileNotFoundError", "OSError"} and found["usr"] == "OSError", found
    assert found["root"] == "OSError", found  # a read-only file system
    assert not (bobs / "planted.txt").exists()
    assert_still_serving(server)


def processes_below(pid: int) -> dict[int, str]:
    """The command lines of every process descending from ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (ValueError, OSError):
            continue
    below, more = {pid}, {pid}
    while more:
        more = {child for child, parent in parents.items() if parent in more} - below
        below |= more
    lines = {}
    for child in below - {pid}:
        try:
            lines[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return lines


def assert_no_udf_left(server: ServerProcess) -> None:
    """No UDF process (bubblewrap or the child) is left below the server, nor a temporary folder of one."""
    deadline = time.monotonic() + 5
    while True:
        below = processes_below(server.pid)
        left = [line for line in below.values() if "bwrap" in line or "openeo_gip.udf.child" in line]
        if not left:
            break
        assert time.monotonic() < deadline, f"processes of UDFs outlived their request: {left}"
        time.sleep(0.2)
    for pid in [server.pid, *below]:
        assert not list(Path(tempfile.gettempdir()).glob(f"openeo-gip-udf-{pid}-*")), "a UDF folder is left"


def test_no_process_can_be_started_neither_many_nor_a_daemon(server):
    found = attempt(
        server,
        """
        import subprocess
        forks = 0
        try:
            for _ in range(200):
                if os.fork() == 0:
                    os._exit(0)
                forks += 1
        except OSError as error:
            found["fork"] = type(error).__name__
        found["forks"] = forks
        daemon = ["sh", "-c", "sleep 600 # " + context["marker"]]
        found["daemon"] = outcome(lambda: subprocess.Popen(daemon, start_new_session=True).pid)
        found["thread"] = outcome(lambda: __import__("threading").Thread(target=print).start())
        """,
        {"marker": MARKER},
    )
    assert found == {
        "fork": "BlockingIOError",
        "forks": 0,
        "daemon": "BlockingIOError",
        "thread": "RuntimeError",
    }, found
    assert_no_udf_left(server)
    assert not any(MARKER in line for line in processes_below(1).values()), "the daemon lives"
    assert_still_serving(server)


def test_killing_its_parent_or_the_server_harms_no_one(server):
    found = attempt(
        server,
        """
        found["parent"] = outcome(lambda: os.kill(os.getppid(), 9))
        found["server"] = outcome(lambda: os.kill(context["server"], 9))
        """,
        {"server": server.pid},
    )
    # bubblewrap's init ignores signals from its namespace; the server's PID is no process there.
    assert found["server"] == "ProcessLookupError", found
    assert_still_serving(server)


def test_a_udf_past_its_time_is_killed_with_everything_it_runs(server):
    started = time.monotonic()
    response = run_udf(server, "import time\ndef apply_datacube(cube, context):\n    time.sleep(600)\n")
    message = assert_openeo_error(response, 400, "UdfError")["message"]
    assert f"longer than the {UDF_LIMITS['wall_seconds']} seconds" in message
    assert time.monotonic() - started < UDF_LIMITS["wall_seconds"] + 30
    assert_no_udf_left(server)
    assert_still_serving(server)
