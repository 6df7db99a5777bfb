"""Configuration: one TOML file, every key overridable by an ``OPENEO_GIP_SECTION__KEY`` variable.

Relative paths are taken relative to the folder of the config file (or the working directory when
there is none), so a config can travel with its data.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "OPENEO_GIP_"
# The umask of the server's processes: what they create (database, keys, results, workspaces) is theirs only.
PRIVATE_UMASK = 0o077


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerConfig(_Section):
    id: str = "openeo-gip"
    title: str = "openeo-gip"
    description: str = "An openEO back-end for research and teaching, on xarray and dask."
    # Empty: links use the address each request came to; set it behind a proxy.
    public_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)
    threads: int = Field(8, ge=1)
    production: bool = False
    # Host names (without port) requests may name when public_url is empty, besides the loopback names,
    # the machine's name and `host`; others are refused, as links would name them (docs/security.md).
    # "*" allows any.
    allowed_hosts: list[str] = []
    # Open connections at once; a client has header_seconds from its first byte (or from connecting) to
    # send a request's headers, and a connection idle between requests is closed after idle_seconds.
    connection_limit: int = Field(1000, ge=10)
    header_seconds: float = Field(10.0, gt=0)
    idle_seconds: int = Field(60, ge=1)
    # JSON request bodies (processes, jobs), far below the upload limit: read and parsed in memory.
    json_bytes: int = Field(10 * 1024**2, ge=1024)
    # Levels of arrays and objects in a JSON body; Python's parser itself stops near 1000.
    json_depth: int = Field(512, ge=10, le=800)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class PathsConfig(_Section):
    data_root: Path = Path("data")
    workspaces: Path = Path("workspaces")
    system_files: Path = Path("system")
    cache: Path = Path("cache")


class DatabaseConfig(_Section):
    url: str = "sqlite:///openeo-gip.db"


class OidcClient(_Section):
    id: str
    grant_types: list[str] = ["authorization_code+pkce", "urn:ietf:params:oauth:grant-type:device_code+pkce"]
    redirect_urls: list[str] = []


class OidcProvider(_Section):
    id: str = Field(pattern=r"^[\w]+$")
    issuer: str
    title: str
    description: str = ""
    scopes: list[str] = ["openid"]
    default_clients: list[OidcClient] = []
    # Accepted `aud` values; empty means the ids of the default clients, and no check when both are empty.
    audience: list[str] = []

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


class AuthConfig(_Section):
    token_lifetime_hours: float = Field(24.0, gt=0)
    oidc_providers: list[OidcProvider] = []
    # How long discovered OIDC metadata and keys are kept before they are fetched again.
    oidc_cache_seconds: int = Field(3600, ge=0)
    # Password logins (auth/throttle.py): after this many failures within the window, an account name or
    # a client address is refused (HTTP 429) until its oldest failure leaves the window. A class behind
    # one NAT address shares the address count: keep that one larger.
    login_failures_per_account: int = Field(10, ge=1)
    login_failures_per_address: int = Field(50, ge=1)
    login_window_seconds: float = Field(300.0, gt=0)
    # Password checks (argon2, 64 MiB and tens of milliseconds each) run at once; others wait their turn.
    password_checks_at_once: int = Field(2, ge=1)


class QuotaConfig(_Section):
    storage_bytes: int = Field(10 * 1024**3, ge=0)
    file_bytes: int = Field(2 * 1024**3, ge=0)
    # Unpacked size and number of entries of one collection bundle (workspace/bundles.py).
    bundle_bytes: int = Field(4 * 1024**3, ge=0)
    bundle_members: int = Field(10_000, ge=1)


class DaskConfig(_Section):
    scheduler_address: str = ""
    n_workers: int = Field(1, ge=1)
    threads_per_worker: int = Field(2, ge=1)
    memory_limit: str = "4GiB"
    # Where the local cluster's dashboard listens, e.g. "127.0.0.1:8787"; empty: no dashboard, no HTTP port.
    dashboard_address: str = ""
    # Edge in pixels of the chunks collections are read in (rounded to the files' tiles).
    chunk_pixels: int = Field(1024, ge=16, le=8192)


class JobsConfig(_Section):
    # Threads of the server process that run batch jobs; 0 leaves them to `openeo-gip worker` processes.
    runner_threads: int = Field(2, ge=0)
    # Jobs running at once over all servers and workers sharing the database, and per user.
    max_running: int = Field(4, ge=1)
    max_running_per_user: int = Field(2, ge=1)
    # An idle runner looks for queued jobs of other processes this often (its own are seen at once).
    poll_seconds: float = Field(2.0, gt=0)
    # A running job whose worker has not reported for this long is taken as stopped and requeued once.
    stale_seconds: float = Field(60.0, gt=0)
    # Lifetime of the signed download links of results.
    link_expiry_hours: float = Field(168.0, gt=0)
    # Key of the download links; empty: a random key kept in paths.system_files.
    signing_secret: str = ""
    # Copy the result files of every finished job into the owner's files (``files/jobs/<job id>/``), as
    # ``export_workspace`` does for the jobs that ask for it.
    export_results_to_files: bool = False
    # Largest estimated size of a job's results (GET /jobs/{id}/estimate) that may start, in bytes; 0: only
    # the owner's storage quota bounds it. Either way a job whose estimate does not fit is refused at start.
    max_estimated_bytes: int = Field(0, ge=0)


class SyncConfig(_Section):
    # Largest number of values (pixels x bands x dates ...) one POST /result may compute; more: a batch job.
    max_pixels: int = Field(100_000_000, ge=1)
    # Wall-clock seconds one POST /result may compute before it is stopped (a batch job has no such limit).
    max_seconds: float = Field(300.0, gt=0)


class UdfConfig(_Section):
    # Limits of each UDF process (one per piece of a cube): CPU seconds, memory it may add to the Python
    # runtime, wall-clock seconds, size of files it may write (its result included).
    cpu_seconds: float = Field(60.0, gt=0)
    memory_mb: int = Field(1024, ge=16)
    wall_seconds: float = Field(120.0, gt=0)
    file_mb: int = Field(1024, ge=1)
    # Largest edge (pixels along x and y) of the pieces a cube is cut into, one UDF process each.
    piece_pixels: int = Field(512, ge=1)
    # A user account (e.g. "nobody") UDF processes run as; needs a server running as root. Empty: the
    # server's own account.
    run_as: str = ""
    # The Python interpreter of UDF processes. Empty: the server's own. Set it when the ``run_as`` account
    # cannot run that one (e.g. a Python installed under /root); it must import the server's packages.
    python: str = ""
    # How UDF processes are kept apart from the host: "bubblewrap" (their own namespaces, docs/security.md),
    # or "none" (a child process with limits only: the user's code can read what the server's account can).
    # Without a working bubblewrap UDFs are refused, unless this says "none".
    sandbox: Literal["bubblewrap", "none"] = "bubblewrap"
    # The bubblewrap program: a name looked up on PATH, or a path.
    bubblewrap: str = "bwrap"


class RemoteConfig(_Section):
    # load_stac/load_url may fetch addresses that resolve to loopback, private (10/8, 172.16/12, 192.168/16,
    # IPv6 ULA), link-local (cloud metadata) or other non-public networks. Off: users cannot make the
    # server reach the lab's internal machines and services.
    allow_private_addresses: bool = False


class Config(_Section):
    server: ServerConfig = ServerConfig()
    paths: PathsConfig = PathsConfig()
    database: DatabaseConfig = DatabaseConfig()
    auth: AuthConfig = AuthConfig()
    quota: QuotaConfig = QuotaConfig()
    dask: DaskConfig = DaskConfig()
    jobs: JobsConfig = JobsConfig()
    sync: SyncConfig = SyncConfig()
    udf: UdfConfig = UdfConfig()
    remote: RemoteConfig = RemoteConfig()
    # Folder the relative paths of this config were resolved against.
    base_dir: Path = Path(".")

    def resolved(self) -> Config:
        """A copy whose paths (and SQLite file) are absolute, relative ones taken from ``base_dir``."""
        base = self.base_dir.resolve()
        paths = {name: (base / value).resolve() for name, value in self.paths.model_dump().items()}
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            url = prefix + str((base / url[len(prefix) :]).resolve())
        return self.model_copy(
            update={
                "paths": PathsConfig(**paths),
                "database": DatabaseConfig(url=url),
                "base_dir": base,
            }
        )


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """``OPENEO_GIP_DATABASE__URL=...`` becomes ``{"database": {"url": ...}}``; JSON values are parsed."""
    tree: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        try:
            value: Any = json.loads(raw)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and key.endswith("url"):
                value = raw
        except json.JSONDecodeError:
            value = raw
        tree.setdefault(section, {})[key] = value
    return tree


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        lines.append(f"{key}: {item['msg']}")
    return "; ".join(lines)


def load_config(path: str | os.PathLike | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read the TOML file (if any), apply environment overrides, validate and resolve paths."""
    environ = dict(os.environ if environ is None else environ)
    data: dict[str, Any] = {}
    base_dir = Path.cwd()
    if path is not None:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {file} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from exc
        base_dir = file.resolve().parent
    for section, values in _env_overrides(environ).items():
        if isinstance(data.get(section), dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    data.pop("base_dir", None)
    try:
        config = Config(**data, base_dir=base_dir)
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {_describe(exc)}") from exc
    return config.resolved()


def default_config_text(data_root: str = "data") -> str:
    """The commented config that ``openeo-gip init-config`` and ``make demo`` write."""
    example = Path(__file__).with_name("config.example.toml").read_text(encoding="utf-8")
    return example.replace('data_root = "data"', f'data_root = "{data_root}"')


def write_default_config(path: Path) -> None:
    """The commented default config as ``path``, readable by its owner only (it may later hold secrets:
    a database password, OpenID client settings, the signing key of download links)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # an existing file keeps its mode otherwise
        file.write(default_config_text())
