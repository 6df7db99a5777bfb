"""docs/scaling.md's SLURM recipe, built for real with dask-jobqueue (nothing is submitted to SLURM)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from distributed import Client

from openeo_gip.jobs import metering

DOC = Path(__file__).resolve().parents[2] / "docs" / "scaling.md"


def _documented_arguments() -> dict:
    """The keyword arguments of the ``SLURMCluster(...)`` call in the doc's Python example."""
    section = DOC.read_text(encoding="utf-8").split("### SLURM (dask-jobqueue)")[1].split("### ")[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    calls = [
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SLURMCluster"
    ]
    assert len(calls) == 1 and not calls[0].args
    return {keyword.arg: ast.literal_eval(keyword.value) for keyword in calls[0].keywords}


def test_the_documented_slurm_cluster_submits_the_promised_workers():
    dask_jobqueue = pytest.importorskip("dask_jobqueue")  # in the test extra; see pyproject.toml
    arguments = _documented_arguments()
    assert arguments["scheduler_options"] == {"port": 8786}  # the address the doc tells to configure
    arguments["scheduler_options"] = {"port": 0}  # a free port: 8786 may be taken on a test machine
    with dask_jobqueue.SLURMCluster(**arguments) as cluster:
        script = cluster.job_script()
        address = cluster.scheduler_address
        with Client(cluster) as client:
            metering.install(client)
            assert metering.PLUGIN_NAME in cluster.scheduler.plugins  # the job meter runs on this scheduler

    directives = [line for line in script.splitlines() if line.startswith("#SBATCH")]
    assert "#SBATCH --cpus-per-task=8" in directives and "#SBATCH -t 12:00:00" in directives
    assert any(line.startswith("#SBATCH --mem=") for line in directives)
    (command,) = [line for line in script.splitlines() if "distributed.cli.dask_worker" in line]
    words = command.split()
    # The workers run this environment's Python (openeo-gip installed) and connect to the scheduler.
    assert words[0] == sys.executable and words[3] == address
    options = {}
    for index, word in enumerate(words[4:], start=4):
        if word.startswith("--"):
            following = words[index + 1] if index + 1 < len(words) else ""
            options[word] = "" if following.startswith("--") else following
    assert options["--nworkers"] == "2" and options["--nthreads"] == "4"  # 8 cores: 2 processes x 4
    assert options["--memory-limit"].endswith("GiB") and 14 < float(options["--memory-limit"][:-3]) < 16
    assert options["--lifetime"] == "11h50m" and options["--lifetime-stagger"] == "5m"
    assert "--nanny" in options and "--death-timeout" in options
