"""`newsletter db …`: create or migrate the schema, show where the state is, copy it elsewhere.

Each command is a few lines over the store (store/versions.py, store/copy.py), usable from Python too.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..config import load_config
from ..store import SCHEMA_VERSION, Store, current_version, database_url, open_store, upgrade
from ..store.copy import copy_state
from .options import config_option, user_errors


def _store(config_path: Path | None) -> Store:
    return open_store(database_url(load_config(config_path)), check=False)


@click.group("db")
def db_group() -> None:
    """The state database: NEWSLETTER_DATABASE_URL, else the SQLite file at [delivery] database."""


@db_group.command("upgrade")
@config_option
@user_errors
def upgrade_command(config_path: Path | None) -> None:
    """Create the schema in a new database, or migrate an older one to this version.

    \b
    Example: NEWSLETTER_DATABASE_URL=postgresql://news@db.example.org/news newsletter db upgrade
    """
    store = _store(config_path)
    before, after = upgrade(store)
    if before == after:
        click.echo(f"{store.describe()}: schema {after}, up to date")
    elif not before:
        made = "adopted the tables of an older newsletter" if before is None else "created"
        click.echo(f"{store.describe()}: schema {after} ({made})")
    else:
        click.echo(f"{store.describe()}: schema {before} → {after}")


@db_group.command("status")
@config_option
@user_errors
def status_command(config_path: Path | None) -> None:
    """Which database is used, its schema version, and whether this newsletter can use it.

    \b
    Example: newsletter db status
    """
    store = _store(config_path)
    version = current_version(store)
    if version == SCHEMA_VERSION:
        state = "up to date"
    elif version == "":
        state = "empty: run `newsletter db upgrade`"
    elif version is None:
        state = "made by an older newsletter: run `newsletter db upgrade`"
    else:
        state = f"needs attention: this newsletter's schema is {SCHEMA_VERSION}"
    click.echo(f"{store.describe()} ({store.backend}): schema {version or '-'}, {state}")


@db_group.command("copy")
@click.option("--to", "target_url", required=True, metavar="URL", help="The empty database to copy into.")
@config_option
@user_errors
def copy_command(target_url: str, config_path: Path | None) -> None:
    """Copy the whole state (subscribers, sign-ups, ledger, feedback) into another database,
    then check each table's rows on both sides. The target must be empty.

    \b
    Example: newsletter db copy --to postgresql://news@db.example.org/news
    """
    source = _store(config_path)
    target = open_store(target_url, check=False)
    if target.url == source.url:
        raise click.UsageError("--to names the database the state is in already")
    for table in copy_state(source, target):
        click.echo(f"{table.name}: {table.rows} rows")
    click.echo(f"copied {source.describe()} → {target.describe()}; verified")
