"""The ``openeo-gip`` command: serve, manage accounts and the database, make demo data."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from openeo_gip.auth.passwords import hash_password
from openeo_gip.config import PRIVATE_UMASK, Config, ConfigError, load_config, write_default_config
from openeo_gip.db import Database, accounts
from openeo_gip.workspace import remove_user_folder

# The configuration `make demo` writes: used when no other is named, so that `openeo-gip user add` run
# where the demo was made acts on the demo's database rather than on a new one in the current folder.
DEMO_CONFIG = Path("var") / "config.toml"


def _load(ctx: click.Context) -> Config:
    if "config" in ctx.obj:  # read (and announced) once per command, e.g. by `user remove`
        return ctx.obj["config"]
    path = ctx.obj["config_path"]
    if path is None and DEMO_CONFIG.is_file():
        path = DEMO_CONFIG
        click.echo(f"config: {DEMO_CONFIG} (the demo's; --config names another)", err=True)
    try:
        ctx.obj["config"] = load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    return ctx.obj["config"]


def _database(ctx: click.Context) -> Database:
    db = Database(_load(ctx).database.url)
    db.upgrade()
    click.echo(f"database: {db.describe()}", err=True)
    return db


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("the password must not be empty")
    return password


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="OPENEO_GIP_CONFIG",
    type=click.Path(dir_okay=False),
    help="TOML config file (default: none; the environment variable OPENEO_GIP_CONFIG also works).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """openeo-gip: an openEO back-end for folders of rasters."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # What the server writes (database, config, keys, results, workspaces) is for its own account only.
    os.umask(PRIVATE_UMASK)
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


@main.command()
@click.option("--host", help="Interface to listen on (default: server.host of the config).")
@click.option("--port", type=int, help="Port to listen on (default: server.port of the config).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Upgrade the database and serve the API with waitress until Ctrl-C."""
    from openeo_gip.server import PortInUse, run

    try:
        run(_load(ctx), host=host, port=port)
    except PortInUse as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option("--threads", type=int, help="Jobs this worker runs at once (default: jobs.runner_threads).")
@click.pass_context
def worker(ctx: click.Context, threads: int | None) -> None:
    """Run batch jobs from the shared database (no HTTP) until Ctrl-C or SIGTERM."""
    from openeo_gip.worker import run_worker

    run_worker(_load(ctx), threads=threads)


@main.command("init-config")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_config(path: str, force: bool) -> None:
    """Write a commented default config file to PATH."""
    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; use --force to overwrite it")
    write_default_config(target)
    click.echo(f"wrote {target}")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply all database migrations (also done by `serve`)."""
    _database(ctx).dispose()
    click.echo("database is up to date")


@main.group()
def user() -> None:
    """Manage accounts that log in with a name and password."""


@user.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option(
    "--role", "roles", multiple=True, default=["user"], show_default=True, help="Role (repeatable)."
)
@click.pass_context
def user_add(ctx: click.Context, name: str, password_stdin: bool, roles: tuple[str, ...]) -> None:
    """Create account NAME."""
    password = _read_password(password_stdin)
    if accounts.add_user(_database(ctx), name, hash_password(password), roles) is None:
        raise click.ClickException(f"user {name} exists")
    click.echo(f"added user {name}")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List accounts: name, id, login kind, created."""
    for row in accounts.list_users(_database(ctx)):
        kind = f"oidc:{row.oidc_provider}" if row.oidc_provider else "password"
        click.echo(f"{row.name}\t{row.id}\t{kind}\t{row.created:%Y-%m-%d %H:%M}")


@user.command("remove")
@click.argument("name")
@click.pass_context
def user_remove(ctx: click.Context, name: str) -> None:
    """Delete account NAME with all its data: tokens, batch jobs and their results, user-defined processes
    and uploaded files. Nothing is archived; copy the user's folder first to keep it."""
    removed = accounts.remove_user(_database(ctx), name)
    if removed is None:
        raise click.ClickException(f"no user {name}")
    folder, size = remove_user_folder(_load(ctx), removed.id)
    click.echo(
        f"removed user {name}: {removed.jobs} job(s), {removed.processes} process(es) and the folder "
        f"{folder} ({size:,} bytes of files and results) deleted"
    )


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def user_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; its tokens stop working."""
    password = _read_password(password_stdin)
    if not accounts.set_password(_database(ctx), name, hash_password(password)):
        raise click.ClickException(f"no user {name}")
    click.echo(f"password of {name} changed")


@main.command()
@click.option("--dir", "folder", default="var", show_default=True, type=click.Path(file_okay=False))
@click.option("--port", type=int, help="Port (default: the config's).")
@click.option("--no-serve", is_flag=True, help="Prepare everything, but do not start the server.")
@click.pass_context
def demo(ctx: click.Context, folder: str, port: int | None, no_serve: bool) -> None:
    """Prepare FOLDER (config, database, demo data, account demo/demo) and serve it."""
    from openeo_gip.demo import prepare_demo
    from openeo_gip.server import PortInUse, run

    config = prepare_demo(Path(folder))
    if not no_serve:
        try:
            run(config, port=port)
        except PortInUse as error:
            raise click.ClickException(f"{error}; the demo in {folder} is ready otherwise") from None


@main.group()
def catalog() -> None:
    """The data catalogue (collections under paths.data_root)."""


@catalog.command("scan")
@click.option("--force", is_flag=True, help="Read every source again, changed or not.")
@click.pass_context
def catalog_scan(ctx: click.Context, force: bool) -> None:
    """Scan the data root (only what changed since the last scan) and store the result."""
    from openeo_gip.catalog.index import refresh_index

    config = _load(ctx)
    click.echo(f"data: {config.paths.data_root}", err=True)
    report = refresh_index(config.paths.data_root, config.paths.system_files, force=force)
    for name in report.scanned:
        click.echo(f"scanned\t{name}")
    for name in report.unchanged:
        click.echo(f"unchanged\t{name}")
    for name in report.removed:
        click.echo(f"removed\t{name}")
    for name, problems in report.problems.items():
        for problem in problems:
            click.echo(f"problem\t{name}\t{problem}")
    for name, failure in report.failed.items():
        click.echo(f"failed\t{name}\t{failure.reason}")
    total = len(report.scanned) + len(report.unchanged)
    click.echo(f"{total} collections, {len(report.scanned)} scanned, {len(report.failed)} failed")


@main.command("demo-data")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--small", is_flag=True, help="Tiny versions (64 x 64 pixels, 3 dates), as the tests use.")
def demo_data(folder: str, small: bool) -> None:
    """Write the synthetic demo collections into FOLDER (a data root)."""
    from openeo_gip.demodata.synthetic import write_demo_data

    written = write_demo_data(Path(folder), small=small)
    for name in written:
        click.echo(f"wrote {name}")


if __name__ == "__main__":
    main()
