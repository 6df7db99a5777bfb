"""Reading what a UDF process left behind: an incomplete or forged result never leaves a file open."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from openeo_gip.errors import ApiError
from openeo_gip.udf.sandbox import UdfLimits, _answer


def _open_in_this_process(work: Path) -> list[str]:
    names = []
    for descriptor in os.listdir("/proc/self/fd"):
        try:
            names.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        except OSError:  # the descriptor of the listing itself, closed meanwhile
            continue
    return [name for name in names if name.startswith(str(work))]


def _npy(path: Path) -> None:
    np.save(path, np.zeros((2, 2), dtype="float32"))


@pytest.mark.parametrize(
    ("json_left", "npy_left", "words"),
    [
        ("file", None, "without a result"),
        (None, "file", "without a result"),
        ("file", "link", "something other than a file as 'result.npy'"),
        ("file", "folder", "something other than a file as 'result.npy'"),
    ],
)
def test_an_incomplete_result_leaves_no_file_open(tmp_path, json_left, npy_left, words):
    work = tmp_path / "work"
    work.mkdir()
    if json_left == "file":
        (work / "result.json").write_text("{}")
    if npy_left == "file":
        _npy(work / "result.npy")
    elif npy_left == "folder":
        (work / "result.npy").mkdir()
    elif npy_left == "link":
        _npy(tmp_path / "elsewhere.npy")
        (work / "result.npy").symlink_to(tmp_path / "elsewhere.npy")
    with pytest.raises(ApiError) as caught:
        _answer(work, 0, UdfLimits())
    assert caught.value.code == "UdfError" and words in caught.value.message, caught.value.message
    assert _open_in_this_process(work) == []
