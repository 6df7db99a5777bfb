"""The long-lived services a server or a worker process runs on, built and closed in one place."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from openeo_gip.auth.oidc import OidcVerifier
from openeo_gip.auth.throttle import LoginThrottle
from openeo_gip.catalog.catalog import Catalog
from openeo_gip.config import Config
from openeo_gip.db import Database
from openeo_gip.db.process_graphs import shared_processes, stored_processes
from openeo_gip.engine.cluster import DaskCluster
from openeo_gip.engine.definitions import PredefinedProcesses, Processes, no_user_processes
from openeo_gip.jobs.finished_results import FinishedResults
from openeo_gip.jobs.runner import JobRunner
from openeo_gip.processes.registry import offered, predefined
from openeo_gip.services.cache import TileCache
from openeo_gip.services.usage import TileCounts
from openeo_gip.udf.sandbox import UdfLimits, announce_isolation


@dataclass
class Services:
    """Everything long-lived a request or a job may need; one per app (``app.extensions['openeo_gip']``)
    or per worker process."""

    config: Config
    db: Database
    # Verifies OpenID Connect tokens (auth/oidc.py); ``None`` in a worker, which serves no logins.
    oidc: OidcVerifier | None
    # The finished jobs' results as load_result, load_stac and load_url read them (jobs/finished_results.py).
    job_results: FinishedResults
    # Throttles password logins per account and address (auth/throttle.py); ``None`` in a worker.
    logins: LoginThrottle | None = None
    # The Dask cluster results are computed on; started on first use (engine/cluster.py).
    cluster: DaskCluster | None = None
    # The collections (catalog/catalog.py): scanned at start where files changed, then served from memory.
    catalog: Catalog | None = None
    # The pool of threads running batch jobs (jobs/runner.py); ``None`` when it would have no threads.
    jobs: JobRunner | None = None
    # The predefined processes graphs may call (processes/registry.py), handed to the engine.
    predefined_processes: PredefinedProcesses = predefined
    # The map tiles drawn last, of secondary services and job results (services/cache.py).
    tiles: TileCache = field(default_factory=TileCache)
    # Serialised pages of GET /collections (api/collections.py): 500 collections take 60 ms to build.
    collection_pages: dict = field(default_factory=dict)
    # The tiles drawn per service, written to the database in batches (services/usage.py); made here unless
    # given, so a copy (``dataclasses.replace``, as a map tile makes) shares the server's.
    tile_counts: TileCounts | None = None

    def __post_init__(self) -> None:
        if self.tile_counts is None:
            self.tile_counts = TileCounts(self.db)

    def processes_for(self, user_id: str | None, base_url: str | None = None) -> Processes:
        """The processes a graph of ``user_id`` may call: the predefined ones, the user's own (none without
        a user) and other users' public ones by namespace (addresses of ``base_url``; any with ``None``)."""
        return Processes(
            self.predefined_processes,
            no_user_processes if user_id is None else stored_processes(self.db, user_id),
            shared_processes(self.db, base_url),
            lambda: offered().keys(),
        )

    def close(self) -> None:
        """Stop the job runner (its running jobs go back to the queue) and the cluster, write the tile counts
        and close the database."""
        if self.jobs is not None:
            self.jobs.stop()
        if self.cluster is not None:
            self.cluster.close()
        self.tile_counts.write()
        self.db.dispose()


def build_services(
    config: Config, *, upgrade_db: bool = True, serve_logins: bool = True, runner_threads: int | None = None
) -> Services:
    """The services for ``config``. The job runner gets ``runner_threads`` threads (default:
    jobs.runner_threads) and is made only when that is above 0; the caller starts it."""
    db = Database(config.database.url)
    if upgrade_db:
        db.upgrade()
    services = Services(
        config=config,
        db=db,
        oidc=OidcVerifier(config.auth.oidc_providers, config.auth.oidc_cache_seconds)
        if serve_logins
        else None,
        job_results=FinishedResults(config, db),
        logins=LoginThrottle(config.auth) if serve_logins else None,
        cluster=DaskCluster(config.dask),
        catalog=Catalog.from_config(config),
    )
    _close_folders(config)
    announce_isolation(UdfLimits.from_config(config.udf))
    threads = config.jobs.runner_threads if runner_threads is None else runner_threads
    if threads > 0:
        services.jobs = JobRunner(services, threads=threads)
    return services


def _close_folders(config: Config) -> None:
    """The server's own folders (workspaces with uploads and results, the cache, the signing key) are closed
    to other accounts, whatever the modes of the files in them."""
    for folder in (config.paths.workspaces, config.paths.cache, config.paths.system_files):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with suppress(OSError):  # another account's folder: the administrator's choice
            folder.chmod(0o700)
