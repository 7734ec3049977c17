"""`newsletter send`: deliver a built issue to every active subscriber, exactly once each.

The run itself (dispatcher, workers, claims) is in run.py; pacing in pacing.py; each
recipient's message in personalize.py. On Linux an SMTP session lives in a child process that
dies with the sender and sends only the message in hand (processes.py): more than one core.
"""

from __future__ import annotations

import datetime as dt
import difflib
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import parseaddr
from pathlib import Path

from ..config import Config
from ..errors import NewsletterError
from ..outputs.built import ISSUE_JSON, BuiltIssue, built_issues, issue_folder, read_built_issue
from ..outputs.message import envelope_for
from ..store import database_error, is_database_error, open_store
from .ledger import SendLedger
from .pacing import Pacer
from .personalize import Personalizer, personalizer_for
from .processes import SessionProcesses, use_processes
from .run import ProgressFn, SendOptions, SendReport, _Run, claimed_recipients
from .subscribers import normalize_address
from .tokens import envelope_sender
from .transports import ConnectFailure, DeliveryFailure, Transport

__all__ = ["Pacer", "Personalizer", "SendOptions", "SendReport", "find_issue", "send_issue", "send_test"]


def find_issue(config: Config, ref: str, public: Path) -> BuiltIssue:
    """The issue built into `public` that is named by its slug or by its source file.

    Only what the build wrote is read (each issue's issue.json): a source file is matched by
    its name, never parsed again.
    """
    path = Path(ref)
    candidates = [path, config.root / path] if not path.is_absolute() else [path]
    if any(p.is_file() for p in candidates):
        for built in built_issues(public):
            if built.source == path.name:
                return built
        raise NewsletterError(f"is not built into {public}/; run `newsletter build` first", path=ref)
    if ref.endswith(".md") or "/" in ref:
        raise NewsletterError("no such issue file", path=ref)
    folder = issue_folder(public, ref)
    if ref not in (".", "..") and (folder / ISSUE_JSON).is_file():
        return read_built_issue(folder)
    if not (public / "issues").is_dir():
        raise NewsletterError(
            f"no issue {ref!r}: nothing is built into {public}/; run `newsletter build` first",
            path=str(public),
        )
    newest = sorted(built_issues(public), key=lambda b: (b.date, b.slug), reverse=True)
    slugs = [b.slug for b in newest]
    near = [s for s in slugs if s.startswith(ref) or ref in s] or difflib.get_close_matches(ref, slugs, n=3)
    if near:
        raise NewsletterError(
            f"no issue with slug {ref!r} in {public}/; did you mean {' or '.join(near[:3])}?"
        )
    known = ", ".join(slugs[:5]) or "none"
    raise NewsletterError(
        f"no issue with slug {ref!r} in {public}/ (newest: {known}); give its slug or file path, "
        "or run `newsletter build` if it is new"
    )


def send_issue(
    config: Config,
    issue: BuiltIssue,
    *,
    html: str,
    text: str,
    secret: str,
    transport: Transport,
    options: SendOptions | None = None,
    dry_run: bool = False,
    retry_unknown: bool = False,
    progress: ProgressFn | None = None,
    notice: Callable[[str], None] | None = None,
) -> SendReport:
    """Send `issue` (its built HTML and text) to its audience; resumable, at most once each.

    The first call queues the issue for every active subscriber of its language; every call
    sends what is still pending. Raises NewsletterError when the run had to stop (bad
    credentials, server unreachable): what was sent is recorded, the rest stays queued.
    Messages whose delivery is unknown are left alone unless `retry_unknown`.
    """
    options = options or SendOptions.from_config(config)
    env = envelope_for(config, issue)
    personalizer = personalizer_for(config, issue, html=html, text=text, secret=secret)
    store = open_store(config)
    ledger = SendLedger(store)
    report = SendReport(issue.id, issue.slug, dry_run=dry_run, destination=transport.describe())
    try:
        if dry_run:
            return _dry_run(config, issue, ledger, personalizer, report)
        ledger.enqueue(issue.id, issue.slug, issue.language, config.site.language)
        if retry_unknown:
            ledger.retry_unknown(issue.id)
        before = ledger.counts(issue.id)
        report.recipients, report.already_sent = before.total, before.sent
        report.pending_at_start = before.pending
        # In flight at a stop: `sending` rows no live sender holds (another sender's are its own).
        ledger.release_dead(issue.id, "")
        report.in_flight_at_start = ledger.unclaimed_sending(issue.id)
        report.planned = min(before.pending, options.limit or before.pending)
        if before.pending == 0:
            report.finished_before = True
            report.failed_permanent, report.unknown = before.failed_permanent, before.unknown
            return report
        window: list[float] = []
        if options.hourly_cap:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
            window = [t.timestamp() for t in ledger.sent_since(since)][-options.hourly_cap :]
        rate = options.rate_per_second
        prepare = getattr(transport, "prepare_send", None)  # a provider's own limit (SES's quota)
        provider_rate = prepare(issue.id, issue.language, report.planned, notice) if prepare else 0.0
        if provider_rate and (not rate or provider_rate < rate):
            rate = provider_rate
        pacer = Pacer(rate, options.hourly_cap, window, notice=notice)
        d = config.delivery
        sender = envelope_sender(d.bounce_address or parseaddr(env.sender)[1], secret, issue.id, d.verp)
        # SMTP sessions in child processes, forked before any thread starts: more than one core.
        sessions = SessionProcesses(transport, options.connections) if use_processes(transport) else None
        run = _Run(store, issue.id, sender, personalizer, sessions or transport, options, report)
        workers = [
            threading.Thread(target=run.worker, name=f"send-{i}", daemon=True)
            for i in range(options.connections)
        ]
        keeper = threading.Thread(target=run.keeper, name="send-claims", daemon=True)
        for w in [*workers, keeper]:
            w.start()
        try:
            run.dispatch(claimed_recipients(ledger, issue.id, run.claimant, options), ledger, pacer, progress)
        except KeyboardInterrupt:
            run.stop(
                NewsletterError("interrupted; what was sent is recorded: rerun `newsletter send` to go on")
            )
        except Exception as e:
            if not is_database_error(e):
                raise
            run.stop(database_error(e, store))
        finally:
            run.drain()  # messages not started stay pending; workers that died take no more
            for _ in workers:
                run.work.put(None)
            for w in workers:
                w.join()
            run.finished.set()
            keeper.join()
            run.close()
            if sessions is not None:
                sessions.close()
        try:
            ledger.release(issue.id, run.claimant)
            after = ledger.counts(issue.id)
        except Exception as e:  # the database is gone: the claims expire with their lease
            if not is_database_error(e):
                raise
            raise run.fatal or database_error(e, store) from None
        report.remaining = after.pending
        report.duration = time.monotonic() - report.started
        if progress:
            progress(report)
        if run.fatal is not None:
            raise NewsletterError(f"{run.fatal} ({report.summary()})")
        return report
    finally:
        ledger.close()


def _dry_run(
    config: Config, issue: BuiltIssue, ledger: SendLedger, personalizer: Personalizer, report: SendReport
) -> SendReport:
    """Render every pending message (so a bad name or a broken template shows now) and count."""
    n = 0
    if ledger.is_enqueued(issue.id):
        recipients: Iterator[tuple[str, str]] = (
            (r.address, r.name) for r in ledger.pending(issue.id) if r.subscriber_status == "active"
        )
    else:
        recipients = ledger.audience(issue.language, config.site.language)
    for address, name in recipients:
        personalizer.render(address, name)
        n += 1
    report.pending_at_start = n
    report.duration = time.monotonic() - report.started
    return report


def send_test(
    config: Config,
    issue: BuiltIssue,
    *,
    html: str,
    text: str,
    secret: str,
    transport: Transport,
    address: str,
) -> str:
    """One copy with a "[TEST] " subject to `address`, outside the ledger; returns the server's reply."""
    addr = normalize_address(address)
    env = envelope_for(config, issue)
    personalizer = personalizer_for(
        config, issue, html=html, text=text, secret=secret, subject_prefix="[TEST] "
    )
    data = personalizer.render(addr, "")
    try:
        session = transport.open()
    except ConnectFailure as e:
        raise NewsletterError(str(e)) from None
    try:
        return session.send(parseaddr(env.sender)[1], addr, data)
    except DeliveryFailure as e:
        raise NewsletterError(f"the test message to {addr} was not accepted: {e.reply}") from None
    finally:
        session.close()
