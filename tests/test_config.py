"""Configuration: TOML, environment overrides, path resolution and clear errors."""

from pathlib import Path

import pytest

from openeo_gip.config import ConfigError, default_config_text, load_config


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None, environ={})
    assert config.server.port == 5000
    assert config.paths.data_root == tmp_path / "data"
    assert config.database.url == f"sqlite:///{tmp_path / 'openeo-gip.db'}"
    assert config.auth.token_lifetime_hours == 24


def test_example_config_loads_and_paths_are_relative_to_it(tmp_path):
    file = tmp_path / "conf" / "config.toml"
    file.parent.mkdir()
    file.write_text(default_config_text(), encoding="utf-8")
    config = load_config(file, environ={})
    assert config.paths.workspaces == tmp_path / "conf" / "workspaces"
    assert config.database.url == f"sqlite:///{tmp_path / 'conf' / 'openeo-gip.db'}"


def test_environment_overrides_every_section(tmp_path):
    file = tmp_path / "config.toml"
    file.write_text('[server]\nport = 6000\ntitle = "From file"\n', encoding="utf-8")
    environ = {
        "OPENEO_GIP_SERVER__PORT": "7000",
        "OPENEO_GIP_DATABASE__URL": "postgresql+psycopg://u@h/db",
        "OPENEO_GIP_PATHS__DATA_ROOT": "/srv/rasters",
        "OPENEO_GIP_QUOTA__STORAGE_BYTES": "1234",
        "OPENEO_GIP_AUTH__OIDC_PROVIDERS": '[{"id": "egi", "issuer": "https://aai.example/", "title": "E"}]',
        "UNRELATED": "x",
    }
    config = load_config(file, environ=environ)
    assert config.server.port == 7000 and config.server.title == "From file"
    assert config.database.url == "postgresql+psycopg://u@h/db"
    assert config.paths.data_root == Path("/srv/rasters")
    assert config.quota.storage_bytes == 1234
    assert config.auth.oidc_providers[0].issuer == "https://aai.example"


@pytest.mark.parametrize(
    ("text", "environ", "key"),
    [
        ("[server]\nport = 70000\n", {}, "server.port"),
        ("[server]\npublic_url = 'ftp://x'\n", {}, "server.public_url"),
        ("[auth]\ntoken_lifetime_hours = -1\n", {}, "auth.token_lifetime_hours"),
        ("[server]\nprot = 1\n", {}, "server.prot"),
        ("", {"OPENEO_GIP_SERVER__PORT": "many"}, "server.port"),
        ("[[auth.oidc_providers]]\nid = 'x'\ntitle = 'X'\n", {}, "auth.oidc_providers.0.issuer"),
    ],
)
def test_invalid_config_names_the_key(tmp_path, text, environ, key):
    file = tmp_path / "config.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(file, environ=environ)
    assert key in str(error.value)


def test_broken_toml_and_missing_file(tmp_path):
    file = tmp_path / "config.toml"
    file.write_text("[server\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(file, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", environ={})


def test_private_addresses_are_refused_unless_the_operator_allows_them(tmp_path):
    file = tmp_path / "config.toml"
    file.write_text(default_config_text(), encoding="utf-8")
    assert "[remote]" in file.read_text()
    assert load_config(file, environ={}).remote.allow_private_addresses is False
    allowed = load_config(file, environ={"OPENEO_GIP_REMOTE__ALLOW_PRIVATE_ADDRESSES": "true"})
    assert allowed.remote.allow_private_addresses is True
    typo = {"OPENEO_GIP_REMOTE__ALLOW_PRIVATE_ADRESSES": "true"}  # refused, not silently the default
    with pytest.raises(ConfigError, match="remote.allow_private_adresses"):
        load_config(None, environ=typo)
