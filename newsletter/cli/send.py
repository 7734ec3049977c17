"""Click commands for delivery: `newsletter send` and `newsletter subscribers …`.

Each command is a few lines over the library (send.py, subscribers.py), usable from Python too.
newsletter/cli.py registers `send_command` and `subscribers_group`; `python -m
newsletter.delivery.cli` runs them standalone (the tests' crash runs use that).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..cli_support import config_option, user_errors
from ..config import Config, load_config
from ..errors import NewsletterError
from ..feedback.cli import unsuppress_command
from ..outputs.built import built_email
from ..store import open_store
from .send import SendOptions, SendReport, find_issue, send_issue, send_test
from .subscribers import STATUSES, SubscriberList
from .tokens import SECRET_ENV, secret_from_env
from .transports import transport_from_config


def _subscribers(config: Config) -> SubscriberList:
    return SubscriberList(open_store(config))


# --- progress ---------------------------------------------------------------------------------


class LineProgress:
    """One summary line every `interval` seconds, for logs and cron mail (no terminal)."""

    def __init__(self, interval: float = 10.0):
        self.interval = interval
        self.last = time.monotonic()

    def __call__(self, r: SendReport) -> None:
        if time.monotonic() - self.last >= self.interval:
            self.last = time.monotonic()
            done = r.sent + r.failed + r.skipped
            click.echo(
                f"{r.slug}: {done}/{r.planned} done, sent {r.sent}, failed {r.failed}, "
                f"retrying {r.retries}, {r.rate:.0f}/s",
                err=True,
            )

    def close(self) -> None:
        pass


class BarProgress:
    """A rich progress bar on a terminal."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            transient=True,
        )
        self.task = self.bar.add_task("sending", total=None, detail="")
        self.bar.start()

    def __call__(self, r: SendReport) -> None:
        detail = f"failed {r.failed} · retrying {r.retries} · {r.rate:.0f}/s"
        self.bar.update(
            self.task,
            description=r.slug,
            total=r.planned,
            completed=r.sent + r.failed + r.skipped,
            detail=detail,
        )

    def close(self) -> None:
        self.bar.stop()


# --- send -------------------------------------------------------------------------------------


@click.command("send")
@click.argument("issue")
@config_option
@click.option("--public", "public_dir", type=click.Path(path_type=Path), default=Path("public"),
              show_default=True, help="The built site (from `newsletter build`).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Render every message and count; send nothing.")
@click.option(
    "--test", "test_address", metavar="ADDRESS", help='Send one copy, subject "[TEST] …", unrecorded.'
)
@click.option("--limit", type=click.IntRange(min=1), help="Send at most N messages in this run.")
@click.option("--connections", type=click.IntRange(1, 64), help="Parallel SMTP connections.")
@click.option("--retry-delay", type=click.FloatRange(min=0), help="First retry delay in seconds (doubles).")
@click.option("--retry-unknown", is_flag=True,
              help="Send again the messages whose delivery is unknown (may deliver some twice).")  # fmt: skip
@click.option("--force", is_flag=True, help="Start even if the last issue's complaint rate is above 0.3%.")
@user_errors
def send_command(
    issue: str,
    config_path: Path | None,
    public_dir: Path,
    dry_run: bool,
    test_address: str | None,
    limit: int | None,
    connections: int | None,
    retry_delay: float | None,
    retry_unknown: bool,
    force: bool,
) -> None:
    """Send a built issue to every active subscriber, once each.

    ISSUE is the slug or source file of an issue built into --public. Rerun after a crash or
    a network loss: only what was not yet sent goes out. Exit status: 0 all sent, 3 some
    failed, 1 error. The signed unsubscribe links need NEWSLETTER_SECRET in the environment.

    Example: newsletter send kasachstan-beitritt-zu-den-abraham-abkommen-wird-sich --test me@example.org
    """
    config = load_config(config_path)
    public = config.path(public_dir)
    the_issue = find_issue(config, issue, public)
    html, text = built_email(public, the_issue)
    if dry_run:
        try:
            secret = secret_from_env()
        except NewsletterError:
            click.echo(f"note: {SECRET_ENV} is not set; a real send will refuse to start", err=True)
            secret = "dry-run"
    else:
        secret = secret_from_env()
    transport = transport_from_config(config)
    if test_address:
        reply = send_test(
            config, the_issue, html=html, text=text, secret=secret, transport=transport, address=test_address
        )
        click.echo(
            f"{the_issue.slug}: test message sent to {test_address} via {transport.describe()} ({reply})"
        )
        return
    if not dry_run:
        from ..feedback.report import complaint_gate

        warning = complaint_gate(config, issue_id=the_issue.id, force=force)
        if warning:
            click.echo(warning, err=True)
    options = SendOptions.from_config(
        config, limit=limit, connections=connections, retry_base_delay=retry_delay
    )
    progress: BarProgress | LineProgress = (
        BarProgress() if sys.stderr.isatty() and not dry_run else LineProgress()
    )
    try:
        report = send_issue(
            config,
            the_issue,
            html=html,
            text=text,
            secret=secret,
            transport=transport,
            options=options,
            dry_run=dry_run,
            retry_unknown=retry_unknown,
            progress=progress,
            notice=lambda m: click.echo(m, err=True),
        )
    finally:
        progress.close()
    if report.in_flight_at_start:
        click.echo(f"note: {report.in_flight_at_start} messages were in flight when the last run stopped; "
                   "they were sent again", err=True)  # fmt: skip
    click.echo(report.summary())
    sys.exit(report.exit_code)


# --- subscribers ------------------------------------------------------------------------------


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


@click.group()
def _standalone() -> None:
    """Delivery commands on their own (newsletter/cli.py is the real entry point)."""


subscribers_group.add_command(unsuppress_command)

_standalone.add_command(send_command)
_standalone.add_command(subscribers_group)

if __name__ == "__main__":
    _standalone()
