"""Messages users see name their own files as ``/files`` does and no other server folder."""

from __future__ import annotations

from openeo_gip.workspace import files_folder, hide_server_paths
from tests.conftest import make_config


def test_own_files_are_relative_and_other_folders_are_placeholders(tmp_path):
    config = make_config(tmp_path, "sqlite://", paths={"cache": "workspaces/cache"})
    own = files_folder(config, "alice1")
    other = files_folder(config, "bob2")
    text = (
        f"'{own}/stac/evil.tif' not recognized; '{other}/x.tif' too; {config.paths.data_root}/S2/b.tif; "
        f"{config.paths.cache}/c.zarr"
    )
    shown = hide_server_paths(text, config, "alice1")
    assert shown == (
        "'stac/evil.tif' not recognized; '<workspaces>/bob2/files/x.tif' too; <data>/S2/b.tif; <cache>/c.zarr"
    )
    assert str(tmp_path) not in shown
    # Without a user (e.g. before login) the user's own folder is a placeholder like the rest.
    assert hide_server_paths(f"{own}/a.tif", config, None) == "<workspaces>/alice1/files/a.tif"


def test_a_folder_name_without_its_separator_and_a_root_data_folder_stay(tmp_path):
    config = make_config(tmp_path, "sqlite://", paths={"data_root": "/"})
    data_like = f"{config.paths.workspaces}-old/file.tif and /etc/passwd"
    assert hide_server_paths(data_like, config, "alice1") == data_like
