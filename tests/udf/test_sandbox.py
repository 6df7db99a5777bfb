"""The UDF sandbox on its own: real child processes, small limits, results checked against numpy."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.udf.blocks import UdfCall, apply_udf
from openeo_gip.udf.sandbox import UdfLimits, run_in_sandbox

# Every UDF runs in its own sandboxed process: seconds per test.
pytestmark = pytest.mark.slow

LIMITS = UdfLimits(cpu_seconds=2, memory_mb=200, wall_seconds=8, file_mb=20)
UNSANDBOXED = replace(LIMITS, sandbox="none")


def small_cube(seed: int = 1) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    return xr.DataArray(
        rng.uniform(1, 100, size=(2, 2, 6, 5)),
        dims=("t", "bands", "y", "x"),
        coords={
            "t": np.array(["2023-01-05", "2023-02-04"], dtype="datetime64[ns]"),
            "bands": ["B04", "B08"],
            "y": np.arange(6.0) * -10,
            "x": np.arange(5.0) * 10,
        },
    )


def run(code: str, cube: xr.DataArray | None = None, context=None, limits: UdfLimits = LIMITS):
    return run_in_sandbox(
        textwrap.dedent(code), small_cube() if cube is None else cube, context or {}, limits
    )


def failure(code: str, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        run(code, **kwargs)
    assert caught.value.code == "UdfError" and caught.value.status == 400
    return caught.value


def test_labels_values_and_context_travel_both_ways():
    cube = small_cube()
    result = run(
        """
        def apply_datacube(cube, context):
            nir, red = cube.sel(bands="B08"), cube.sel(bands="B04")
            return (nir - red) / (nir + red) * context["factor"]
        """,
        cube,
        context={"factor": 3},
    )
    values = cube.values
    expected = (values[:, 1] - values[:, 0]) / (values[:, 1] + values[:, 0]) * 3
    assert result.dims == ("t", "y", "x")
    np.testing.assert_allclose(result.values, expected)
    np.testing.assert_array_equal(result["t"].values, cube["t"].values)
    np.testing.assert_array_equal(result["x"].values, cube["x"].values)


def test_apply_timeseries_gets_one_dated_series_per_pixel_and_band():
    cube = small_cube()
    result = run(
        """
        import pandas as pd
        def apply_timeseries(series: pd.Series, context: dict) -> pd.Series:
            assert isinstance(series.index, pd.DatetimeIndex)
            return series - series.mean() + series.index.month
        """,
        cube,
    )
    months = np.array([1, 2]).reshape(2, 1, 1, 1)
    np.testing.assert_allclose(result.values, cube.values - cube.values.mean(axis=0) + months)
    assert result.dims == cube.dims


WHERE_AM_I = """
import os
def apply_datacube(cube, context):
    open("scratch.txt", "w").write("x")  # its own folder is writable
    return cube.assign_attrs(cwd=os.getcwd(), home=os.environ["HOME"], env=",".join(os.environ),
                             ppid=os.getppid(), pgid=os.getpgid(0), pid=os.getpid(), uid=os.getuid(),
                             root=",".join(sorted(os.listdir("/"))),
                             uid_map=" ".join(open("/proc/self/uid_map").read().split()))
"""


def _run_folders() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"openeo-gip-udf-{os.getpid()}-*"))


def test_in_its_sandbox_the_child_sees_its_folder_the_interpreter_and_nothing_else(monkeypatch):
    monkeypatch.setenv("OPENEO_GIP_DATABASE__URL", "postgresql://secret@db/prod")
    result = run(WHERE_AM_I)
    assert result.attrs["cwd"] == "/udf" and result.attrs["home"] == "/udf"
    assert not any(name.startswith("OPENEO_GIP") for name in result.attrs["env"].split(","))
    # PID 1 is bubblewrap's init in a PID namespace of its own; nobody inside, the server's account outside.
    assert result.attrs["ppid"] == 1 and result.attrs["uid"] == 65534
    assert result.attrs["uid_map"] == f"65534 {os.getuid()} 1"
    top = set(result.attrs["root"].split(","))
    assert {"usr", "proc", "dev", "udf"} <= top and not top & {"home", "var", "tmp", "srv", "opt", "mnt"}
    assert not _run_folders(), "the temporary folder is removed afterwards"


def test_without_a_sandbox_the_child_has_its_own_folder_and_none_of_the_servers_environment(monkeypatch):
    monkeypatch.setenv("OPENEO_GIP_DATABASE__URL", "postgresql://secret@db/prod")
    result = run(WHERE_AM_I, limits=UNSANDBOXED)
    cwd = result.attrs["cwd"]
    assert Path(cwd).name == "work" and Path(cwd).parent.name.startswith("openeo-gip-udf-")
    assert result.attrs["home"] == cwd
    assert not any(name.startswith("OPENEO_GIP") for name in result.attrs["env"].split(","))
    assert "DATABASE" not in result.attrs["env"]
    assert result.attrs["ppid"] == os.getpid() and result.attrs["pgid"] == result.attrs["pid"]
    assert not Path(cwd).parent.exists(), "the temporary folder is removed afterwards"


def test_an_exception_shows_the_users_lines_and_nothing_of_the_server():
    error = failure(
        """
        def helper(value):
            raise ValueError(f"no good: {value}")

        def apply_datacube(cube, context):
            return helper(42)
        """
    )
    assert "ValueError: no good: 42" in error.message
    assert "line 6, in apply_datacube: return helper(42)" in error.message
    assert "line 3, in helper" in error.message
    assert "/" not in error.message.split("no good")[1], "no server paths"
    assert "openeo_gip" not in error.message and "Traceback" not in error.message


def test_syntax_errors_and_missing_entry_points_are_explained():
    assert "SyntaxError" in failure("def apply_datacube(cube, context)\n    return cube\n").message
    assert "apply_datacube(cube, context)" in failure("def something_else(cube):\n    return cube\n").message


def test_an_endless_loop_stops_at_the_cpu_limit():
    started = time.monotonic()
    error = failure(
        """
        def apply_datacube(cube, context):
            while True:
                pass
        """
    )
    assert "2 seconds of CPU time" in error.message
    assert time.monotonic() - started < 8


def test_a_sleeping_udf_stops_at_the_wall_clock_limit():
    limits = UdfLimits(cpu_seconds=2, memory_mb=200, wall_seconds=2, file_mb=20)
    started = time.monotonic()
    error = failure("import time\ndef apply_datacube(cube, context):\n    time.sleep(60)\n", limits=limits)
    assert "longer than the 2 seconds" in error.message
    assert time.monotonic() - started < 6


def test_a_memory_bomb_stops_at_the_memory_limit():
    error = failure(
        """
        import numpy as np
        def apply_datacube(cube, context):
            hog = np.ones(10 * 1024**3, dtype=np.uint8)
            return cube + hog[0]
        """
    )
    assert "200 MB of memory" in error.message


def test_a_process_that_exits_or_returns_nonsense_gives_clear_errors():
    assert (
        "exit status 3" in failure("import os\ndef apply_datacube(cube, context):\n    os._exit(3)\n").message
    )
    message = failure("def apply_datacube(cube, context):\n    return {'not': 'a cube'}\n").message
    assert "returned dict" in message and "xarray.DataArray" in message
    message = failure("def apply_datacube(cube, context):\n    return cube.astype(str)\n").message
    assert "not usable" in message


def test_forged_answers_are_refused():
    """A UDF can write whatever it likes as its answer: links and hand-made headers must not fool us."""
    link = failure(
        """
        import os
        def apply_datacube(cube, context):
            cube.to_numpy().dump("elsewhere.npy")
            os.symlink("/etc/passwd", "result.json")
            os._exit(0)
        """
    )
    assert "something other than a file" in link.message
    pickled = failure(
        """
        import json, os, numpy as np
        def apply_datacube(cube, context):
            np.save("result.npy", np.array([object()], dtype=object), allow_pickle=True)
            json.dump({"dims": ["x"], "shape": [1], "coords": {}}, open("result.json", "w"))
            os._exit(0)
        """
    )
    assert "not a readable array of numbers" in pickled.message
    lying = failure(
        """
        import json, os, numpy as np
        def apply_datacube(cube, context):
            np.save("result.npy", np.zeros((2, 3)))
            json.dump({"dims": ["y", "x"], "shape": [3, 2], "coords": {}}, open("result.json", "w"))
            os._exit(0)
        """
    )
    assert "do not match" in lying.message
    huge = failure(
        """
        import json, os
        def apply_datacube(cube, context):
            with open("result.npy", "wb") as file:
                header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
                file.write(b"\\x93NUMPY\\x01\\x00" + len(header).to_bytes(2, "little"))
                file.write(header.encode() + b"12345678")
            json.dump({"dims": ["x"], "shape": [100000000000], "coords": {}}, open("result.json", "w"))
            os._exit(0)
        """
    )
    assert "not a readable array of numbers" in huge.message


@pytest.mark.parametrize("limits", [LIMITS, UNSANDBOXED], ids=["bubblewrap", "none"])
def test_a_udf_cannot_start_processes_even_as_root(tmp_path, limits):
    marker = tmp_path / "alive"
    result = run(
        f"""
        import subprocess
        def apply_datacube(cube, context):
            try:
                subprocess.Popen(["sh", "-c", "sleep 1; touch {marker}"])
            except OSError as error:
                return cube.assign_attrs(refused=type(error).__name__)
            return cube
        """,
        limits=limits,
    )
    assert result.attrs.get("refused") == "BlockingIOError"
    time.sleep(2)
    assert not marker.exists()


def test_pieces_of_a_lazy_cube_each_run_and_are_joined_in_place():
    cube = small_cube(seed=2).chunk({"t": 1, "bands": 1, "y": 3, "x": 3})
    result = apply_udf(
        cube,
        UdfCall("def apply_datacube(cube, context):\n    return cube.max('t') - cube.min('t')\n", {}, LIMITS),
    )
    assert result.dims == ("bands", "y", "x") and result.chunks is not None
    np.testing.assert_allclose(result.values, cube.values.max(axis=0) - cube.values.min(axis=0))
    np.testing.assert_array_equal(result["bands"].values, ["B04", "B08"])


def test_a_udf_changing_x_or_y_is_refused():
    call = UdfCall("def apply_datacube(cube, context):\n    return cube.isel(x=slice(0, 2))\n", {}, LIMITS)
    with pytest.raises(ApiError, match="dimension 'x' unchanged"):
        apply_udf(small_cube(), call)


def _runs_as_nobody(python: str) -> bool:
    try:
        subprocess.run([python, "-I", "-c", "import openeo_gip.udf.child"], user="nobody", check=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


@pytest.fixture(scope="module")
def python_for_nobody():
    """An interpreter the account nobody can run that imports this server's packages: the server's own, or
    else (its Python lies under /root, say) a venv of the system's Python of the same version whose .pth
    adds the server's site-packages, as docs/udf.md tells operators."""
    if os.geteuid() != 0:
        pytest.skip("switching accounts needs root")
    if _runs_as_nobody(sys.executable):
        yield sys.executable
        return
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(version, path="/usr/local/bin:/usr/bin")
    if system is None:
        pytest.skip(f"no {version} in /usr/local/bin or /usr/bin that the account nobody could run")
    folder = Path(tempfile.mkdtemp(prefix="udf-python-"))
    folder.chmod(0o755)
    try:
        subprocess.run([system, "-m", "venv", "--without-pip", str(folder / "venv")], check=True)
        (folder / "venv" / "lib" / version / "site-packages" / "server.pth").write_text(
            f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n"
        )
        python = str(folder / "venv" / "bin" / "python")
        if not _runs_as_nobody(python):
            pytest.skip("the server's packages lie in folders the account nobody cannot read")
        yield python
    finally:
        shutil.rmtree(folder)


def test_run_as_another_account_keeps_the_servers_files_out_of_reach(tmp_path, python_for_nobody):
    secret = tmp_path / "server.db"
    secret.write_text("the server's database")
    secret.chmod(0o600)
    limits = replace(UNSANDBOXED, run_as="nobody", python=python_for_nobody)
    code = "import os\ndef apply_datacube(cube, context):\n    return cube.assign_attrs(uid=os.getuid())\n"
    assert run(code, limits=limits).attrs["uid"] != 0
    with pytest.raises(ApiError) as caught:
        run(
            "def apply_datacube(cube, context):\n    return open(context['path']).read()\n",
            context={"path": str(secret)},
            limits=limits,
        )
    assert "PermissionError" in caught.value.message


def test_bubblewrap_started_as_the_run_as_account_is_that_account_outside(python_for_nobody):
    nobody = pwd.getpwnam("nobody")
    result = run(WHERE_AM_I, limits=replace(LIMITS, run_as="nobody", python=python_for_nobody))
    assert result.attrs["uid"] == 65534 and result.attrs["uid_map"] == f"65534 {nobody.pw_uid} 1"


@pytest.mark.skipif(os.geteuid() != 0, reason="switching accounts needs root")
def test_an_interpreter_the_account_cannot_run_is_a_server_error(tmp_path):
    hidden = tmp_path / "python"  # pytest's folders are the server's own (mode 700)
    hidden.symlink_to(sys.executable)
    limits = replace(UNSANDBOXED, run_as="nobody", python=str(hidden))
    with pytest.raises(ApiError) as caught:
        run("def apply_datacube(cube, context):\n    return cube\n", limits=limits)
    assert caught.value.code == "Internal" and caught.value.status == 500
    assert str(tmp_path) not in caught.value.message


@pytest.mark.skipif(os.geteuid() != 0, reason="switching accounts needs root")
def test_a_run_as_account_that_does_not_exist_is_a_server_error():
    limits = UdfLimits(
        cpu_seconds=2, memory_mb=200, wall_seconds=8, file_mb=20, run_as="no-such-account-here"
    )
    with pytest.raises(ApiError) as caught:
        run("def apply_datacube(cube, context):\n    return cube\n", limits=limits)
    assert caught.value.code == "Internal" and caught.value.status == 500
    assert "no-such-account-here" not in caught.value.message  # the reason is for the server's log
