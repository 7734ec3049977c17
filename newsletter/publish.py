"""`newsletter publish`: build what is due, check it, and send every due issue not yet sent.

This is the one command the scheduled workflow runs. Each run is idempotent: the send ledger
(newsletter/delivery/ledger.py) says which issues went to whom, so a second run finds nothing
to send, and a run after a crash or a failed job finishes what the last one started.

`now` decides everything: issues dated later are neither built nor sent (nothing public exists
of them yet). An editor's preview of future issues is plain `newsletter build`, which passes no
time and so builds them all.

A due issue that was never queued and is older than `max_age` is not sent on its own: it
belongs to the archive. This guards against mailing a whole back catalogue to every subscriber
when a newsletter is first set up, or when the ledger was lost; an editor who means it sends it
with `only_slug`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .build import BuildResult, build
from .check import run_checks
from .config import Config
from .delivery.ledger import SendLedger
from .delivery.send import ProgressFn, SendOptions, SendReport, send_issue
from .delivery.tokens import secret_from_env
from .delivery.transports import Transport, transport_from_config
from .delivery.websub import feed_urls, ping_hub
from .errors import NewsletterError
from .feedback.bounces import process_mailbox
from .feedback.report import complaint_gate
from .judges.problems import Problem
from .judges.settings import check_settings
from .model import Issue
from .outputs.built import built_email, issue_folder, read_built_issue
from .store import open_store

#: A due issue never queued and older than this is archive, not news: it is not sent on its own.
DEFAULT_MAX_AGE = dt.timedelta(days=14)

ALREADY_SENT = "already sent"

Notice = Callable[[str], None]


@dataclass(frozen=True)
class Skipped:
    """A due issue this run did not send, and why (one line for the log)."""

    slug: str
    reason: str


@dataclass
class PublishReport:
    """What one `publish` run did: built, checked, sent (this run's counts), left for later."""

    now: dt.datetime
    build: BuildResult
    not_due: tuple[Issue, ...] = ()  # dated after `now`: neither built nor sent
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sends: list[SendReport] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    sending: bool = True  # False with send=False, or when the check found problems
    dry_run: bool = False

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.sends)

    @property
    def exit_code(self) -> int:
        """0 all good; 1 the check found problems (nothing sent); 3 some messages failed."""
        if self.problems:
            return 1
        return 3 if any(r.exit_code for r in self.sends) else 0


def due_for_sending(
    issues: list[Issue], ledger: SendLedger, now: dt.datetime, max_age: dt.timedelta | None
) -> tuple[list[Issue], list[Skipped]]:
    """Which built (due) issues this run sends, oldest first, and which it leaves, with why.

    Sent: issues not queued yet (unless older than `max_age`) and issues with pending rows (a run
    that stopped, or temporary failures to retry), whatever their age: a started send is finished.
    """
    todo: list[Issue] = []
    skipped: list[Skipped] = []
    for issue in sorted(issues, key=lambda i: (i.date, i.slug)):
        if ledger.is_enqueued(issue.id):
            if ledger.counts(issue.id).pending:
                todo.append(issue)
            else:
                skipped.append(Skipped(issue.slug, ALREADY_SENT))
        elif max_age is not None and now - issue.date > max_age:
            days = (now - issue.date).days
            skipped.append(
                Skipped(
                    issue.slug,
                    f"dated {issue.date.isoformat()}, {days} days ago: archive, not sent on its own; "
                    f"send it with `newsletter publish --issue {issue.slug}` if you mean to",
                )
            )
        else:
            todo.append(issue)
    return todo, skipped


def publish(
    config: Config,
    *,
    now: dt.datetime,
    out: Path | None = None,
    dry_run: bool = False,
    only_slug: str | None = None,
    send: bool = True,
    fast_check: bool = False,
    max_age: dt.timedelta | None = DEFAULT_MAX_AGE,
    transport: Transport | None = None,
    secret: str | None = None,
    options: SendOptions | None = None,
    progress: ProgressFn | None = None,
    notice: Notice | None = None,
    force: bool = False,
) -> PublishReport:
    """Build the issues due at `now` into `out`, check them, then send the due ones not yet sent.

    Nothing is sent when the check finds a problem (the report lists them) or with `send=False`.
    `only_slug` sends just that issue (it must be due), whatever its age. `dry_run` renders and
    counts every message but sends none. Before sending, returned mail in [delivery] bounce_mailbox
    is read (suppressed addresses get nothing), a new issue waits while the last one's complaint
    rate is above 0.3% (unless `force`), and the WebSub hub hears of the changed feeds.
    The secret comes from NEWSLETTER_SECRET and the transport
    from [delivery] and NEWSLETTER_SMTP_URL unless given. Raises NewsletterError when sending had
    to stop (bad credentials, server gone): what was sent is in the ledger, a rerun goes on.
    """
    if now.tzinfo is None:
        raise NewsletterError(f"the publication time {now.isoformat()} has no time zone")
    say = notice or (lambda _m: None)
    out = out or config.root / "public"
    result = build(config, out, now=now)
    report = PublishReport(now=now, build=result, not_due=result.not_due, dry_run=dry_run)
    line = f"built {len(result.issues)} issue(s) due at {now.isoformat()} into {out}/"
    if report.not_due:
        line += " (not yet due: " + ", ".join(f"{i.slug} {i.date.isoformat()}" for i in report.not_due) + ")"
    say(line)
    if only_slug is not None:
        _require_due(only_slug, result.issues, report.not_due)

    settings = check_settings(config)
    # The build read every source: the check takes them from it rather than reading them again.
    sources = result.issues + result.not_due
    checked = run_checks(config, out, settings=settings, fast=fast_check, now=now, sources=sources)
    report.problems = list(checked.problems)
    report.warnings = list(checked.warnings)
    say(
        f"check: {len(report.problems)} problem(s)"
        if report.problems
        else f"check: ok{' (fast)' * fast_check}"
    )
    if report.problems or not send:
        report.sending = False
        return report

    ledger = SendLedger(open_store(config))
    try:
        if only_slug is not None:
            todo = [i for i in result.issues if i.slug == only_slug]
            skipped: list[Skipped] = []
        else:
            todo, skipped = due_for_sending(list(result.issues), ledger, now, max_age)
        new = [i for i in todo if not ledger.is_enqueued(i.id)]
    finally:
        ledger.close()
    secret = secret if secret is not None or not todo else _secret(dry_run, say)
    if todo and not dry_run:
        todo = _close_the_loop(config, todo, new, skipped, secret, force, say)
    report.skipped = skipped
    for s in skipped:
        if s.reason != ALREADY_SENT:
            say(f"{s.slug}: not sent: {s.reason}")
    if not todo:
        done = sum(1 for s in skipped if s.reason == ALREADY_SENT)
        say(f"nothing to send ({done} due issue(s) sent before)")
        return report

    if secret is None:
        raise NewsletterError("no secret to sign the unsubscribe links with")  # set above: todo is not empty
    if transport is None:
        transport = transport_from_config(config)
    for issue in todo:
        built = read_built_issue(issue_folder(out, issue.slug))
        html, text = built_email(out, built)
        sent = send_issue(
            config,
            built,
            html=html,
            text=text,
            secret=secret,
            transport=transport,
            options=options,
            dry_run=dry_run,
            progress=progress,
            notice=notice,
        )
        report.sends.append(sent)
        if sent.in_flight_at_start:
            say(
                f"note: {sent.slug}: {sent.in_flight_at_start} messages were in flight when the last "
                "run stopped; they were sent again"
            )
        say(sent.summary())
    return report


def _close_the_loop(
    config: Config,
    todo: list[Issue],
    new: list[Issue],
    skipped: list[Skipped],
    secret: str | None,
    force: bool,
    say: Notice,
) -> list[Issue]:
    """Before sending: read returned mail, hold new issues back while the complaint rate is too
    high, and ping the WebSub hub for the feeds the new issues changed. Returns what to send."""
    if config.delivery.bounce_mailbox:
        try:
            say(process_mailbox(config, secret=secret).summary())
        except NewsletterError as e:  # sending goes on: the next run reads the mailbox again
            say(f"warning: returned mail not read: {e}")
    if not new:
        return todo
    try:
        warning = complaint_gate(config, force=force)
    except NewsletterError as e:
        skipped.extend(Skipped(i.slug, str(e)) for i in new)
        return [i for i in todo if i not in new]
    if warning:
        say(warning)
    if config.site.websub_hub:
        for line in ping_hub(config.site.websub_hub, feed_urls(config.site)):
            say(line)
    return todo


def _require_due(slug: str, built: tuple[Issue, ...], not_due: tuple[Issue, ...]) -> None:
    if any(i.slug == slug for i in built):
        return
    for issue in not_due:
        if issue.slug == slug:
            raise NewsletterError(
                f"issue {slug!r} is not due until {issue.date.isoformat()}; it is built and sent by the "
                "first publish run after that (preview it with `newsletter build`)",
                path=issue.source_path,
            )
    known = ", ".join(i.slug for i in built[:5]) or "none"
    raise NewsletterError(f"no issue with slug {slug!r} in issues/ (due ones, newest first: {known})")


def _secret(dry_run: bool, say: Notice) -> str:
    if not dry_run:
        return secret_from_env()
    try:
        return secret_from_env()
    except NewsletterError:
        say("note: NEWSLETTER_SECRET is not set; a real run will refuse to send")
        return "dry-run"
