"""`newsletter bounces`, `newsletter report` and `newsletter subscribers unsuppress`: thin layers
over feedback/bounces.py, report.py and record.py."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import load_config
from ..errors import NewsletterError
from .options import config_option, out_option, user_errors


@click.command("bounces")
@click.argument("source", required=False)
@click.option("-q", "--quiet", is_flag=True, help="Only the summary line.")
@config_option
@user_errors
def bounces_command(source: str | None, quiet: bool, config_path: Path | None) -> None:
    """Read returned mail and complaints from SOURCE and suppress dead or complaining addresses.

    SOURCE is a Maildir folder, an mbox file or imaps://user@host/folder (password from
    NEWSLETTER_IMAP_PASSWORD); default: [delivery] bounce_mailbox. Processed messages are put
    aside, so a second run changes nothing; unreadable ones stay, each named on one line.

    \b
    Example: newsletter bounces imaps://bounces@mail.example.org/INBOX
    """
    from ..delivery.tokens import secret_from_env
    from ..feedback.bounces import process_mailbox

    config = load_config(config_path)
    run = process_mailbox(config, source, secret=secret_from_env(), say=None if quiet else click.echo)
    click.echo(run.summary())


@click.command("report")
@click.argument("issue")
@out_option("Where the issue was built.")
@config_option
@user_errors
def report_command(issue: str, out: Path, config_path: Path | None) -> None:
    """What the mail system reported about ISSUE (slug or file), per edition, and its complaint rate.

    Sent, deferred, bounced (hard/soft), complained, unsubscribed since it was sent; no opens or
    clicks. Exit status 0; 3 when the complaint rate is above 0.3% (the next issue waits).

    \b
    Example: newsletter report 2025-11-20-kasachstan
    """
    from ..delivery.send import find_issue
    from ..feedback.report import issue_report

    config = load_config(config_path)
    found = find_issue(config, issue, config.path(out))
    report = issue_report(config, found.id, found.slug)
    click.echo(f"{report.slug} (queued {report.enqueued})")
    for line in report.lines():
        click.echo(line)
    if report.verdict() == "refuse":
        sys.exit(3)


@click.command("unsuppress")
@click.argument("address")
@config_option
@user_errors
def unsuppress_command(address: str, config_path: Path | None) -> None:
    """Lift the suppression of ADDRESS (bounced or complained): it gets the next issue again.

    The evidence stays in the feedback table.

    \b
    Example: newsletter subscribers unsuppress lila@example.org
    """
    from ..feedback.record import FeedbackLedger

    config = load_config(config_path)
    ledger = FeedbackLedger(config)
    try:
        lifted = ledger.unsuppress(address)
    finally:
        ledger.close()
    if not lifted:
        raise NewsletterError(
            f"{address} is not suppressed; `newsletter subscribers list --status bounced` shows who is"
        )
    click.echo(f"{address} is active again")
