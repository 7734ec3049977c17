"""`newsletter send`: a few lines over delivery/send.py, usable from Python too."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import load_config
from ..delivery.send import SendOptions, find_issue, send_issue, send_test
from ..delivery.tokens import SECRET_ENV, secret_from_env
from ..delivery.transports import transport_from_config
from ..errors import NewsletterError
from ..outputs.built import built_email
from .options import config_option, out_option, user_errors
from .progress import progress_for


@click.command("send")
@click.argument("issue")
@config_option
@out_option("The built site (from `newsletter build`).")
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
    out: Path,
    dry_run: bool,
    test_address: str | None,
    limit: int | None,
    connections: int | None,
    retry_delay: float | None,
    retry_unknown: bool,
    force: bool,
) -> None:
    """Send a built issue to every active subscriber, once each.

    ISSUE is the slug or source file of an issue built into --out. Rerun after a crash or
    a network loss: only what was not yet sent goes out. Exit status: 0 all sent, 3 some
    failed, 1 error. The signed unsubscribe links need NEWSLETTER_SECRET in the environment.

    \b
    Example: newsletter send kasachstan-beitritt-zu-den-abraham-abkommen-wird-sich --test me@example.org
    """
    config = load_config(config_path)
    public = config.path(out)
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
    progress = progress_for(dry_run=dry_run)
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
