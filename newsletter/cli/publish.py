"""`newsletter publish` and `newsletter init`, thin layers over publish.py and scaffold.py."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ..config import load_config
from .options import config_option, out_option, user_errors


def parse_now(value: str | None) -> dt.datetime:
    """`--now` as an aware datetime (ISO 8601 with Z or an offset); the current time if None."""
    if value is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    from ..sources.front_matter import parse_datetime

    return parse_datetime(value, "--now", example="2025-11-24T06:17:00Z (date -u +%FT%TZ)")


@click.command("publish")
@click.option("--now", "now_text", metavar="TIME",
              help="Publish as of this time, ISO 8601 with Z or offset (default: now). "
                   "Issues dated later are neither built nor sent.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Build and check, render and count every message; send none.")
@click.option("--issue", "slug", metavar="SLUG", help="Send only this (due) issue, whatever its age.")
@click.option("--no-send", is_flag=True, help="Build and check only (what a push to main does).")
@click.option("--fast", is_flag=True, help="Check without SpamAssassin and the browser judges.")
@click.option(
    "--force", is_flag=True, help="Send a new issue even if the last one's complaint rate is above 0.3%."
)
@click.option("--max-age", type=click.IntRange(min=1), default=14, show_default=True, metavar="DAYS",
              help="Due issues never sent and older than this are archive: not sent alone.")  # fmt: skip
@out_option("Where the site is built.")
@config_option
@user_errors
def publish_command(
    now_text: str | None,
    dry_run: bool,
    slug: str | None,
    no_send: bool,
    fast: bool,
    force: bool,
    max_age: int,
    out: Path,
    config_path: Path | None,
) -> None:
    """Build the issues that are due, check them, and send every due issue not yet sent.

    Safe to run again and again: the send ledger remembers who got what, so a second run sends
    nothing and a run after a crash finishes what the last one started. Exit status: 0 done,
    1 error or check problems (nothing sent), 3 some messages failed (rerun to retry them).

    \b
    Example: newsletter publish --now "$(date -u +%FT%TZ)" --dry-run
    """
    from ..publish import publish
    from .progress import BarProgress, LineProgress, progress_for

    now = parse_now(now_text)
    config = load_config(config_path)
    sending = not no_send
    progress: BarProgress | LineProgress | None = None
    if sending:
        progress = progress_for(dry_run=dry_run)
    try:
        report = publish(
            config,
            now=now,
            out=config.path(out),
            dry_run=dry_run,
            only_slug=slug,
            send=sending,
            fast_check=fast,
            max_age=dt.timedelta(days=max_age),
            progress=progress,
            notice=click.echo,
            force=force,
        )
    finally:
        if progress is not None:
            progress.close()
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    if report.problems:
        for p in report.problems:
            click.echo(str(p))
        click.echo(f"{len(report.problems)} problem(s); nothing was sent", err=True)
    sys.exit(report.exit_code)


@click.command("init")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="The newsletter's title (default: from DIR's name).")
@click.option("--base-url", help="Where the site will be, e.g. https://OWNER.github.io/REPO/.")
@click.option("--service-url", metavar="URL",
              help="Where `newsletter serve` will run, e.g. https://news.example.org/ (sign-up form "
                   "and one-click unsubscribe); without it, unsubscribing is by email only.")  # fmt: skip
@click.option("--tool", "tool_requirement", metavar="REQUIREMENT", envvar="NEWSLETTER_TOOL_REQUIREMENT",
              help="pip requirement for this tool in CI (default: this project's repository at the "
                   "release tag; or $NEWSLETTER_TOOL_REQUIREMENT).")  # fmt: skip
@user_errors
def init_command(
    directory: Path,
    title: str | None,
    base_url: str | None,
    service_url: str | None,
    tool_requirement: str | None,
) -> None:
    """Start a new newsletter in DIR: newsletter.toml, templates, an example issue, a Makefile
    and the GitHub workflows. DIR must be empty or new; nothing is ever overwritten.

    \b
    Example: newsletter init my-news --title "My News" --base-url https://me.github.io/my-news/
    """
    from ..scaffold import scaffold

    if service_url is None and sys.stdin.isatty():  # asked only of a person at a terminal
        service_url = (
            click.prompt(
                "Where will `newsletter serve` run (sign-up and one-click unsubscribe)? "
                "Leave empty to unsubscribe by email only",
                default="",
                show_default=False,
            ).strip()
            or None
        )
    result = scaffold(
        directory, title=title, base_url=base_url, tool_requirement=tool_requirement, service_url=service_url
    )
    click.echo(f"created {len(result.files)} files in {directory}/")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"next: cd {directory} && make build, then see README.md for publishing")
