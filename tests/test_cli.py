"""The openeo-gip command, run as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import openeo
import pytest
import requests
from sqlalchemy import select

from openeo_gip.db import Database, Token, User
from tests.conftest import free_port

# Each test starts the openeo-gip command as a process: seconds per test.
pytestmark = pytest.mark.slow

COMMANDS = [[], ["serve"], ["demo"], ["init-config"], ["db"], ["db", "upgrade"], ["user"], ["worker"]]
COMMANDS += [["catalog"], ["catalog", "scan"], ["demo-data"]]
COMMANDS += [["user", sub] for sub in ("add", "list", "remove", "passwd")]


def cli(*args: str, config=None, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "openeo_gip.cli"]
    if config is not None:
        command += ["--config", str(config)]
    result = subprocess.run(command + list(args), input=stdin, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed: {result.stderr}")
    return result


@pytest.fixture
def config_file(tmp_path, db_url):
    file = tmp_path / "config.toml"
    file.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return file


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args) or "main")
def test_help_everywhere(args):
    result = cli(*args, "--help")
    assert "Usage:" in result.stdout


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_user_lifecycle(config_file, db_url):
    assert (
        "added user ann"
        in cli("user", "add", "ann", "--password-stdin", config=config_file, stdin="pw1\n").stdout
    )
    duplicate = cli("user", "add", "ann", "--password-stdin", config=config_file, stdin="pw\n", check=False)
    assert duplicate.returncode != 0 and "exists" in duplicate.stderr
    listed = cli("user", "list", config=config_file).stdout
    assert listed.startswith("ann\t") and "password" in listed

    db = Database(db_url)
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == "ann"))
        session.add(Token(token_hash="0" * 64, user_id=user.id, expires=user.created.replace(year=2100)))
    cli("user", "passwd", "ann", "--password-stdin", config=config_file, stdin="pw2\n")
    with db.session() as session:
        assert session.scalars(select(Token.revoked)).all() == [True]

    assert cli("user", "remove", "ann", config=config_file).returncode == 0
    assert cli("user", "list", config=config_file).stdout == ""
    missing = cli("user", "remove", "ann", config=config_file, check=False)
    assert missing.returncode != 0 and "no user ann" in missing.stderr
    db.dispose()


def test_empty_password_is_refused(config_file):
    result = cli("user", "add", "ann", "--password-stdin", config=config_file, stdin="\n", check=False)
    assert result.returncode != 0 and "empty" in result.stderr


def test_invalid_config_stops_with_the_key_named(tmp_path):
    file = tmp_path / "config.toml"
    file.write_text("[server]\nport = 0\n", encoding="utf-8")
    result = cli("serve", config=file, check=False)
    assert result.returncode != 0
    assert "server.port" in result.stderr and "Traceback" not in result.stderr


def test_init_config_does_not_overwrite(tmp_path):
    target = tmp_path / "c.toml"
    cli("init-config", str(target))
    assert "[database]" in target.read_text()
    again = cli("init-config", str(target), check=False)
    assert again.returncode != 0 and "exists" in again.stderr


def test_without_config_the_demo_config_of_the_folder_is_used_and_named(tmp_path):
    """After `make demo`, `openeo-gip user add` in the same folder adds to the demo's database."""
    demo = tmp_path / "var"
    demo.mkdir()
    (demo / "config.toml").write_text('[database]\nurl = "sqlite:///demo.db"\n', encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("OPENEO_GIP_")}
    added = subprocess.run(
        [sys.executable, "-m", "openeo_gip.cli", "user", "add", "bob", "--password-stdin"],
        input="secret\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    assert "config: var/config.toml" in added.stderr and "demo.db" in added.stderr
    assert (demo / "demo.db").is_file() and not list(tmp_path.glob("*.db"))
    listed = cli("user", "list", config=demo / "config.toml")
    assert listed.stdout.startswith("bob\t")


def test_a_busy_port_is_a_clear_message_not_a_traceback(config_file):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--host", "127.0.0.1", "--port", str(port), config=config_file, check=False)
    assert result.returncode == 1, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_answers_clients_and_stops_cleanly_on_ctrl_c(config_file, tmp_path):
    cli("user", "add", "ann", "--password-stdin", config=config_file, stdin="secret\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "openeo_gip.cli", "--config", str(config_file), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"OPENEO_GIP_SERVER__PUBLIC_URL": url, "PATH": ""},
        # A shell running the suite in the background makes its children ignore Ctrl-C, as Unix does for
        # background jobs; a server started from a terminal gets it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        for _ in range(100):
            try:
                requests.get(url + "/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        connection = openeo.connect(url).authenticate_basic("ann", "secret")
        assert connection.describe_account()["name"] == "ann"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # not left running after the test
            raise
    assert process.returncode == 0, output
    assert "Traceback" not in output
