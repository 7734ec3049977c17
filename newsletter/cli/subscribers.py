"""`newsletter subscribers …`: a few lines each over delivery/subscribers.py, usable from Python too."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import Config, load_config
from ..delivery.subscribers import STATUSES, SubscriberList
from ..errors import NewsletterError
from ..store import open_store
from .feedback import unsuppress_command
from .options import config_option, user_errors


def _subscribers(config: Config) -> SubscriberList:
    return SubscriberList(open_store(config))


@click.group("subscribers")
def subscribers_group() -> None:
    """Manage the subscriber list (SQLite, [delivery] database)."""


@subscribers_group.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@config_option
@user_errors
def import_command(csv_file: Path, config_path: Path | None) -> None:
    """Import subscribers from a CSV with a header row: email (required), name, language.

    Bad rows are reported with their line number and skipped; the rest is imported (exit 3).
    Addresses already on the list keep their status: an import never re-subscribes anyone.

    \b
    Example: newsletter subscribers import members.csv
    """
    config = load_config(config_path)
    subs = _subscribers(config)
    try:
        report = subs.import_csv(csv_file, editions=config.site.languages)
    finally:
        subs.close()
    for line in report.errors:
        click.echo(f"error: {line}", err=True)
    click.echo(
        f"{csv_file}: {report.added} added, {report.existing} already on the list, "
        f"{report.duplicates} duplicates in the file, {len(report.errors)} rejected"
    )
    sys.exit(3 if report.errors else 0)


@subscribers_group.command("add")
@click.argument("address")
@click.option("--name", default="", help="Display name for the To: header.")
@click.option("--language", default="", help="Edition language, e.g. de (default: the site's).")
@config_option
@user_errors
def add_command(address: str, name: str, language: str, config_path: Path | None) -> None:
    """Subscribe ADDRESS (re-activates it if it had unsubscribed).

    \b
    Example: newsletter subscribers add lila@example.org --name "Lila Ahmadi" --language de
    """
    config = load_config(config_path)
    subs = _subscribers(config)
    try:
        new = subs.add(address, name, language, editions=config.site.languages)
        s = subs.get(address)
    finally:
        subs.close()
    shown = s.address if s else address
    click.echo(f"added {shown}" if new else f"{shown} was already on the list; it is active now")


@subscribers_group.command("remove")
@click.argument("address")
@click.option("--forget", is_flag=True, help="Delete every trace instead of marking unsubscribed.")
@config_option
@user_errors
def remove_command(address: str, forget: bool, config_path: Path | None) -> None:
    """Unsubscribe ADDRESS (kept as 'unsubscribed' so no import re-adds it), or --forget it.

    \b
    Example: newsletter subscribers remove lila@example.org
    """
    subs = _subscribers(load_config(config_path))
    try:
        found = subs.forget(address) if forget else subs.set_status(address, "unsubscribed")
    finally:
        subs.close()
    if not found:
        raise NewsletterError(f"{address} is not on the list; `newsletter subscribers list` shows who is")
    click.echo(f"{'forgot' if forget else 'unsubscribed'} {address}")


@subscribers_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@config_option
@user_errors
def list_command(status: str | None, config_path: Path | None) -> None:
    """One line per subscriber: address, status, language, why suppressed (tab-separated when piped).

    \b
    Example: newsletter subscribers list --status active | cut -f1
    """
    from ..feedback.record import FeedbackLedger

    subs = _subscribers(load_config(config_path))
    try:
        why = FeedbackLedger(db=subs.db).reasons()  # suppressed addresses: the evidence
        if sys.stdout.isatty():
            width = subs.longest_address()
            for s in subs.stream(status):
                reason = f"  {why[s.id]}" if s.id in why else ""
                click.echo(f"{s.address:<{width}}  {s.status:<12}  {s.language or '-'}{reason}")
        else:
            for s in subs.stream(status):
                reason = f"\t{why[s.id]}" if s.id in why else ""
                sys.stdout.write(f"{s.address}\t{s.status}\t{s.language}{reason}\n")
    finally:
        subs.close()


@subscribers_group.command("export")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
@config_option
@user_errors
def export_command(status: str | None, output: Path | None, config_path: Path | None) -> None:
    """Write the list as CSV (email,name,language,status,created,changed,source), re-importable.

    \b
    Example: newsletter subscribers export --status active -o active.csv
    """
    subs = _subscribers(load_config(config_path))
    try:
        if output:
            with open(output, "w", encoding="utf-8", newline="") as f:
                n = subs.export_csv(f, status)
            click.echo(f"exported {n} subscribers to {output}", err=True)
        else:
            subs.export_csv(sys.stdout, status)
    finally:
        subs.close()


subscribers_group.add_command(unsuppress_command)
