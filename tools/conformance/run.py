"""``make conformance``: the official openEO test suite (openeo-test-suite from PyPI) against a demo server.

    .venv/bin/python tools/conformance/run.py [--folder var-conformance] [--online]

It writes the full demo data into a fresh folder, starts the real OpenID provider of the tests
(``tests/support/oidc_provider.py``) and ``openeo-gip serve`` configured with it, and runs the suite's modules
general, collections, processing (each process on its own, through ``POST /result``) and workflows from
``.venv-conformance``. The suite logs in as its documentation says, through ``authenticate_oidc()`` with the
client credentials of the environment, so nothing of it is patched. Afterwards the server and the provider
stop, and the failures are compared with ``suite_faults.toml``, the suite's own faults: the run fails on any
other failure, and on a listed fault that passes now (the list stays true).

The suite finds the specification files it tests against under ``assets/`` next to its package: there go
links to ``../shared/openeo-spec`` (or ``OPENEO_SPEC_DIR``), arranged as the suite expects, and to
``payloads/``, the request bodies of its general module (the wheel on PyPI lacks the suite's own).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the tests' OpenID provider lives in tests/support

from openeo_gip.demodata.synthetic import BOLZANO_ID  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.support.oidc_provider import running_oidc_provider  # noqa: E402

SUITE_PYTHON = ROOT / ".venv-conformance" / "bin" / "python"
FAULTS_FILE = Path(__file__).resolve().parent / "suite_faults.toml"
PAYLOADS = Path(__file__).resolve().parent / "payloads"
PROVIDER_ID = "uni"
# The suite's modules, as the names its test ids start with (openeo_test_suite.tests.<module>...).
MODULES = {
    "general": "openeo_test_suite.tests.general",
    "collections": "openeo_test_suite.tests.collections",
    "processing": "openeo_test_suite.tests.processes.processing",
    "workflows": "openeo_test_suite.tests.workflows",
}
# These validate against STAC JSON schemas that stac-validator downloads from the internet.
ONLINE_ONLY = [
    "test_get_collections",
    "test_get_collections_collection_id",
    "test_load_save_netcdf_batch_job_metadata",
]
SERVER_START_SECONDS = 120


def spec_dir() -> Path:
    folder = Path(os.environ.get("OPENEO_SPEC_DIR") or ROOT.parent / "shared" / "openeo-spec")
    if not (folder / "api" / "openapi.yaml").is_file():
        sys.exit(f"the openEO specification is not at {folder}: set OPENEO_SPEC_DIR")
    return folder


def suite_says(expression: str) -> str:
    """An expression evaluated by the suite's Python (a fixed one of this file, never user input)."""
    code = f"import pathlib, openeo_test_suite; print({expression})"
    return subprocess.run(
        [str(SUITE_PYTHON), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def arrange_assets(spec: Path, suite_folder: Path) -> None:
    """What the suite looks for next to its package, as in a checkout of its repository:
    ``assets/openeo-api``, ``assets/processes`` (definitions, ``proposals/``, ``tests/``) as links into the
    specification folder, and ``src/.../payload_examples``. A wheel's package sits in ``lib/pythonX.Y/`` of
    the venv, so that is where they go; there the suite also gets absolute paths, which its reading of the
    payloads needs (it joins a relative folder with file names that include the folder)."""
    root = Path(suite_says("pathlib.Path(openeo_test_suite.__file__).parents[2]"))
    for arranged in (root / "assets", root / "src"):
        shutil.rmtree(arranged, ignore_errors=True)
    processes = root / "assets" / "processes"
    (root / "assets").mkdir()
    (root / "assets" / "openeo-api").symlink_to(spec / "api")
    for source, target in [
        (spec / "processes", processes),
        (spec / "processes" / "proposals", processes / "proposals"),
    ]:
        target.mkdir()
        for definition in source.glob("*.json"):
            (target / definition.name).symlink_to(definition)
        # The suite reads a case's `$ref` (assets/...) next to the process definition, not next to the case.
        (target / "assets").symlink_to(spec / "process-tests" / "assets")
    (processes / "tests").symlink_to(spec / "process-tests")
    # The request bodies of the general module are not in the wheel; the project writes its own.
    examples = root / "src" / "openeo_test_suite" / "tests" / "general" / "payload_examples"
    examples.parent.mkdir(parents=True)
    examples.symlink_to(PAYLOADS)
    # The suite's pytest settings live in its repository's pyproject.toml, not in the wheel.
    (suite_folder / "pytest.ini").write_text(
        "[pytest]\n"
        "addopts = --import-mode=importlib -p openeo_test_suite.lib.pytest_plugin\n"
        "markers =\n    optional: optional tests\n    longrunning: long running tests\n    vv: verbose\n",
        encoding="utf-8",
    )


def write_config(server_folder: Path, url: str, provider_toml: str) -> Path:
    config = server_folder / "config.toml"
    config.write_text(
        f'[server]\npublic_url = "{url}"\n'
        '[paths]\ndata_root = "data"\nworkspaces = "workspaces"\nsystem_files = "system"\ncache = "cache"\n'
        '[database]\nurl = "sqlite:///openeo-gip.db"\n'
        '[dask]\nn_workers = 1\nthreads_per_worker = 2\nmemory_limit = "4GiB"\n' + provider_toml,
        encoding="utf-8",
    )
    return config


def start_server(config: Path, port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "openeo_gip.cli", "--config", str(config), "serve", "--port", str(port)]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=config.parent, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server stopped at start; see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    process.terminate()
    sys.exit(f"the server did not answer within {SERVER_START_SECONDS} s; see {log}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_suite(suite_folder: Path, url: str, provider, reports: Path, online: bool) -> None:
    """Each module on its own, into ``reports/<module>.xml`` (the test ids of the JUnit report do not say
    which module a test is in)."""
    env = {
        **os.environ,
        # What the openeo client's authenticate_oidc() reads for an unattended login.
        "OPENEO_AUTH_METHOD": "client_credentials",
        "OPENEO_AUTH_PROVIDER_ID": PROVIDER_ID,
        "OPENEO_AUTH_CLIENT_ID": provider.robot.id,
        "OPENEO_AUTH_CLIENT_SECRET": provider.robot.secret,
    }
    reports.mkdir()
    for module, package in MODULES.items():
        print(f"openeo-test-suite: {module}", flush=True)
        command = [str(SUITE_PYTHON), "-m", "pytest", "--pyargs", package]
        command += ["-U", url, "--runner=http", f"--s2-collection={BOLZANO_ID}"]
        command += ["-p", "no:cacheprovider", "-q", "--tb=line", f"--junitxml={reports / module}.xml"]
        if not online:
            command += ["-k", " and ".join(f"not {name}" for name in ONLINE_ONLY)]
        subprocess.run(command, cwd=suite_folder, env=env, check=False)


@dataclass(frozen=True)
class Outcome:
    result: str  # passed, failed or skipped
    message: str = ""  # why it failed


def outcomes(reports: Path) -> dict[str, Outcome]:
    """Each test (``<module>/<test>``, as ``workflows/L1.test_load_save::test_load_save_netcdf``) and how
    it ended."""
    results = {}
    for module in MODULES:
        report = reports / f"{module}.xml"
        if not report.exists():  # the suite stopped before writing it: that is a failure too
            results[f"{module}/(no report)"] = Outcome("failed", f"{report} was not written")
            continue
        for case in ElementTree.parse(report).iter("testcase"):
            problems = [child for child in case if child.tag in ("failure", "error")]
            skipped = any(child.tag == "skipped" for child in case)
            outcome = "failed" if problems else "skipped" if skipped else "passed"
            message = " ".join((child.get("message") or "") + (child.text or "") for child in problems)
            results[f"{module}/{case.get('classname')}::{case.get('name')}"] = Outcome(outcome, message)
    return results


def figures(results: dict[str, Outcome], suite_version: str) -> str:
    """The table of docs/compliance.md: passed, failed (of which suite faults), skipped per module."""
    faults = load_faults()
    lines = [
        f"openeo-test-suite {suite_version}, {dt.date.today().isoformat()}, {platform.machine()} "
        f"{platform.system()} ({os.cpu_count()} CPUs), Python {platform.python_version()}.",
        "",
        "| module | passed | failed | of them suite faults | skipped |",
        "|---|---:|---:|---:|---:|",
    ]
    for module in MODULES:
        mine = {key: outcome for key, outcome in results.items() if key.startswith(module + "/")}
        count = Counter(outcome.result for outcome in mine.values())
        listed = sum(
            1
            for key, outcome in mine.items()
            if outcome.result == "failed" and fault_of(key, outcome, faults)
        )
        lines.append(f"| {module} | {count['passed']} | {count['failed']} | {listed} | {count['skipped']} |")
    return "\n".join(lines) + "\n"


def load_faults() -> list[dict]:
    """The entries of suite_faults.toml (its head says what they hold)."""
    return tomllib.loads(FAULTS_FILE.read_text(encoding="utf-8")).get("fault", [])


def names_of(entry: dict) -> list[str]:
    return entry.get("tests") or [entry["test"]]


def fault_of(key: str, outcome: Outcome, faults: list[dict]) -> dict | None:
    for entry in faults:
        named = any(
            key == name or name.endswith("*") and key.startswith(name[:-1]) for name in names_of(entry)
        )
        if named and entry.get("message", "") in outcome.message:
            return entry
    return None


def verdict(results: dict[str, Outcome]) -> int:
    faults = load_faults()
    unexpected = sorted(
        key
        for key, outcome in results.items()
        if outcome.result == "failed" and not fault_of(key, outcome, faults)
    )
    for key in unexpected:
        print(f"FAILED (not a suite fault of {FAULTS_FILE.name}): {key}\n    {results[key].message[:300]}")
    # A test named as a fault that passes now is no fault any more: the list must stay true.
    named = [name for entry in faults for name in names_of(entry) if "*" not in name]
    fixed = [name for name in named if results.get(name, Outcome("missing")).result == "passed"]
    for key in fixed:
        print(f"PASSED, but listed in {FAULTS_FILE.name}: {key} (remove it from the list)")
    print(f"{len(unexpected)} failures that are not suite faults, {len(fixed)} listed faults that pass")
    return 1 if unexpected or fixed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=ROOT / "var-conformance")
    parser.add_argument("--online", action="store_true", help="Also the STAC checks that download schemas.")
    args = parser.parse_args()
    if not SUITE_PYTHON.exists():
        sys.exit("the suite is not installed: run `make conformance`")
    spec = spec_dir()
    folder = args.folder.resolve()
    shutil.rmtree(folder, ignore_errors=True)
    server_folder, suite_folder = folder / "server", folder / "suite"
    suite_folder.mkdir(parents=True)
    arrange_assets(spec, suite_folder)
    print(f"writing the demo data into {server_folder / 'data'}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "openeo_gip.cli", "demo-data", str(server_folder / "data")], check=True
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    reports = folder / "reports"
    with running_oidc_provider(access_token_ttl=3600) as provider:
        config = write_config(server_folder, url, provider.toml(PROVIDER_ID))
        server = start_server(config, port, folder / "server.log")
        try:
            run_suite(suite_folder, url, provider, reports, args.online)
        finally:
            stop(server)
    version = suite_says("openeo_test_suite.__version__")
    results = outcomes(reports)
    table = figures(results, version)
    (folder / "figures.md").write_text(table, encoding="utf-8")
    print(table)
    return verdict(results)


if __name__ == "__main__":
    sys.exit(main())
