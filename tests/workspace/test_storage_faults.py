"""Faults of the server's storage while storing, unpacking or copying are ``StorageFailure`` (never a 500
without an openEO code, never blamed on the user's archive), and leave nothing behind in ``.uploads``."""

from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from openeo_gip.errors import ApiError
from openeo_gip.workspace import folder_size
from openeo_gip.workspace.bundles import Limits, unpack_bundle
from openeo_gip.workspace.copies import copy_into_files
from openeo_gip.workspace.files import check_place
from tests.conftest import make_config
from tests.support.private_data import zip_bytes

LIMITS = Limits(max_bytes=10**7, free=10**7, max_members=100)
SIDECAR = ("collection.toml", b'title = "x"\n')


def _archive(tmp_path: Path, entries: list[tuple[str, bytes]]) -> Path:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(zip_bytes(entries))
    return archive


def _old_collection(tmp_path: Path) -> Path:
    destination = tmp_path / "files" / "collections" / "fields"
    destination.mkdir(parents=True)
    (destination / "old.tif").write_bytes(b"old")
    return destination


def test_a_staging_folder_that_cannot_be_made_is_a_storage_failure(tmp_path):
    staging = tmp_path / "uploads"
    staging.write_bytes(b"in the way")
    with pytest.raises(ApiError) as caught:
        unpack_bundle(_archive(tmp_path, [SIDECAR]), tmp_path / "dest", staging=staging, limits=LIMITS)
    assert caught.value.code == "StorageFailure" and caught.value.status == 500


def test_a_failed_replace_keeps_the_old_collection_and_leaves_nothing_in_staging(tmp_path):
    destination = _old_collection(tmp_path)
    staging = tmp_path / "uploads"

    def vanish(content: Path) -> None:  # the unpacked folder is gone when it should be moved in place
        shutil.rmtree(content)

    archive = _archive(tmp_path, [SIDECAR, ("new.tif", b"new")])
    with pytest.raises(ApiError) as caught:
        unpack_bundle(archive, destination, staging=staging, limits=LIMITS, check=vanish)
    assert caught.value.code == "StorageFailure"
    assert [p.name for p in destination.iterdir()] == ["old.tif"]
    assert list(staging.iterdir()) == []  # no replaced-* folder counted against the quota


def test_a_successful_replace_leaves_nothing_in_staging(tmp_path):
    destination = _old_collection(tmp_path)
    staging = tmp_path / "uploads"
    archive = _archive(tmp_path, [SIDECAR, ("new.tif", b"new")])
    assert unpack_bundle(archive, destination, staging=staging, limits=LIMITS) == len(SIDECAR[1]) + 3
    assert sorted(p.name for p in destination.iterdir()) == ["collection.toml", "new.tif"]
    assert list(staging.iterdir()) == []


_UNPACK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from openeo_gip.errors import ApiError
    from openeo_gip.workspace.bundles import Limits, unpack_bundle
    archive, destination, staging = map(Path, sys.argv[1:])
    try:
        unpack_bundle(archive, destination, staging=staging, limits=Limits(10**7, 10**7, 100))
    except ApiError as error:
        print(error.code, error.message)
    """
)


def _small_file_limit() -> None:
    """In the child only: files may not grow beyond 100 kB, and writing more fails with EFBIG (as a full
    disk fails with ENOSPC) instead of killing the process."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def test_a_write_fault_while_unpacking_is_a_storage_failure_not_a_bad_archive(tmp_path):
    archive = _archive(tmp_path, [SIDECAR, ("big.tif", bytes(3_000_000))])  # compresses to a few kB
    assert archive.stat().st_size < 100_000
    staging = tmp_path / "uploads"
    command = [sys.executable, "-c", _UNPACK, str(archive), str(tmp_path / "dest"), str(staging)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, preexec_fn=_small_file_limit, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("StorageFailure "), done.stdout
    assert "File too large" in done.stdout and "not a readable" not in done.stdout
    assert list(staging.iterdir()) == [] and not (tmp_path / "dest").exists()


def test_check_place_tells_what_stands_in_the_way(tmp_path):
    root = tmp_path / "files"
    (root / "folder").mkdir(parents=True)
    (root / "file").write_bytes(b"x")
    check_place(root, root / "new" / "deeper" / "a.tif")
    check_place(root, root / "folder", folder=True)
    cases = [
        (root / "file" / "a.tif", {}, "FilePathInvalid", "'file' is a file, not a folder"),
        (root / "file" / "sub" / "a.tif", {}, "FilePathInvalid", "'file' is a file"),
        (root / "folder", {}, "FolderOperationUnsupported", "'folder' is a folder"),
        (root / "file", {"folder": True}, "FileOperationUnsupported", "'file' is a file"),
    ]
    for target, options, code, words in cases:
        with pytest.raises(ApiError) as caught:
            check_place(root, target, **options)
        assert caught.value.code == code and words in caught.value.message, (target, caught.value.message)


def test_export_checks_the_folder_even_with_nothing_to_copy(tmp_path, db_url):
    config = make_config(tmp_path, db_url)
    with pytest.raises(ApiError) as caught:
        copy_into_files(config, "u1", tmp_path, [], "../elsewhere")
    assert caught.value.code == "FilePathInvalid"
    assert copy_into_files(config, "u1", tmp_path, [], "fine/folder") == []


def test_export_into_a_folder_named_like_a_result_is_refused(tmp_path, db_url):
    config = make_config(tmp_path, db_url)
    results = tmp_path / "results"
    results.mkdir()
    (results / "out.tif").write_bytes(b"tif")
    (config.paths.workspaces / "u1" / "files" / "copies" / "out.tif").mkdir(parents=True)
    with pytest.raises(ApiError) as caught:
        copy_into_files(config, "u1", results, [results / "out.tif"], "copies")
    assert caught.value.code == "FolderOperationUnsupported" and "'copies/out.tif'" in caught.value.message


def test_folder_size_counts_regular_files_only(tmp_path):
    assert folder_size(tmp_path / "missing") == 0
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.bin").write_bytes(bytes(10))
    (tmp_path / "two.bin").write_bytes(bytes(5))
    (tmp_path / "link.bin").symlink_to(tmp_path / "two.bin")
    (tmp_path / "outside").symlink_to(tmp_path / "a", target_is_directory=True)
    assert folder_size(tmp_path) == 15
