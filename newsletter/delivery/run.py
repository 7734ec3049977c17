"""`newsletter send`: deliver a built issue to every active subscriber, exactly once each.

The dispatcher (the calling thread) streams pending ledger rows and due retries into a small
queue; N worker threads, each holding one transport session (an SMTP connection), render and
send. Threads, not processes: a SIGKILL of the process ends every worker with it, so nothing
keeps sending behind the ledger's back. Results are committed by the worker that got them,
before it starts its next message (see ledger.py for why that bounds duplicates). The workers
share one database connection, taken in turn under a lock: connections of their own would
contend for SQLite's write lock, whose busy handler waits by sleeping.

Several senders of one issue (processes here or on other hosts, on one database) split the work:
the dispatcher claims pending rows in small batches with a lease that a keeper thread renews;
a worker sends a message only after marking it `sending` under its own claim. When nothing is
left to claim but another live sender still holds rows, this run waits for them (and takes over
the claims of a sender that died), so every sender ends when the issue is done.
"""

from __future__ import annotations

import contextlib
import heapq
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from ..config import Config
from ..errors import NewsletterError
from ..store import Store, database_error, is_database_error
from .ledger import Outcome, Recipient, SendLedger, new_claimant
from .pacing import Pacer
from .personalize import Personalizer
from .transports import (
    SMTP_URL_ENV,
    ConnectFailure,
    DeliveryFailure,
    Session,
    Transport,
    TransportFatal,
    queue_id,
)


@dataclass(frozen=True)
class SendOptions:
    """How fast and how stubbornly to send; defaults from [delivery] in newsletter.toml."""

    connections: int = 4
    rate_per_second: float = 0.0  # 0: unlimited
    hourly_cap: int = 0  # 0: unlimited
    max_attempts: int = 6
    retry_base_delay: float = 1.0  # seconds; doubles per attempt, with jitter
    retry_max_delay: float = 300.0
    bounce_on_permanent_failure: bool = True
    limit: int | None = None
    claim_batch: int = 200  # rows claimed at a time (several senders share an issue by claims)
    claim_lease: float = 120.0  # seconds a claim lasts unless renewed; a dead sender's rows wait this long

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> SendOptions:
        d = config.delivery
        base = cls(
            connections=d.connections,
            rate_per_second=d.rate_per_second,
            hourly_cap=d.hourly_cap,
            max_attempts=d.max_attempts,
            bounce_on_permanent_failure=d.bounce_on_permanent_failure,
        )
        values = {k: v for k, v in overrides.items() if v is not None}
        return cls(**{**base.__dict__, **values})  # type: ignore[arg-type]


@dataclass
class SendReport:
    """What one `send` run did (this run's counts) and where the issue stands overall."""

    issue_id: str
    slug: str
    recipients: int = 0  # rows in the ledger for this issue
    pending_at_start: int = 0
    in_flight_at_start: int = 0  # `sending` rows left by a crash: resent, may be duplicates
    planned: int = 0  # what this run means to send: pending, or fewer with --limit
    sent: int = 0
    failed_temporary: int = 0
    failed_permanent: int = 0
    retries: int = 0
    skipped: int = 0
    unknown: int = 0  # connection lost after the message was handed over: maybe delivered
    lost_claims: int = 0  # rows another sender took over before this one sent them
    already_sent: int = 0
    remaining: int = 0  # still pending after this run (--limit, or a stop)
    started: float = field(default_factory=time.monotonic)
    duration: float = 0.0
    finished_before: bool = False
    dry_run: bool = False
    destination: str = ""

    @property
    def failed(self) -> int:
        return self.failed_temporary + self.failed_permanent

    @property
    def rate(self) -> float:
        return self.sent / self.duration if self.duration > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """0: everything this run attempted was sent (or nothing was left); 3: some failed or are
        unknown (partial)."""
        return 3 if (self.failed or self.unknown) and not self.finished_before else 0

    def summary(self) -> str:
        if self.finished_before:
            unknown = (
                f", {self.unknown} unknown: `newsletter send --retry-unknown` sends them again"
                if self.unknown
                else ""
            )
            return (
                f"{self.slug}: already sent ({self.already_sent} sent, {self.failed_permanent} failed "
                f"permanently in earlier runs{unknown}); nothing to do"
            )
        if self.dry_run:
            return f"{self.slug}: dry run: would send {self.pending_at_start} messages; nothing sent"
        parts = [
            f"{self.slug}: sent {self.sent}",
            f"failed {self.failed} ({self.failed_permanent} permanent, {self.failed_temporary} temporary)",
            f"skipped {self.skipped}",
        ]
        if self.unknown:
            parts.append(
                f"unknown {self.unknown} (connection lost before the server confirmed; "
                "`newsletter send --retry-unknown` sends them again, maybe twice)"
            )
        if self.already_sent:
            parts.append(f"sent before {self.already_sent}")
        if self.remaining:
            parts.append(f"still queued {self.remaining}")
        parts.append(f"{self.rate:.0f}/s in {self.duration:.1f}s")
        return ", ".join(parts) + (f" via {self.destination}" if self.destination else "")


ProgressFn = Callable[[SendReport], None]


T = TypeVar("T")


# --- the run ----------------------------------------------------------------------------------


@dataclass(order=True)
class _Retry:
    due: float
    seq: int
    item: _Item = field(compare=False)


@dataclass
class _Item:
    subscriber_id: int
    address: str
    name: str
    attempts: int = 0


#: What the recipient stream yields when nothing is claimable now but another sender holds rows.
WAIT = None


def claimed_recipients(
    ledger: SendLedger, issue_id: str, claimant: str, options: SendOptions
) -> Iterator[Recipient | None]:
    """This sender's share of the pending rows, claimed batch by batch; WAIT while other live
    senders hold the rest; ends when no pending row is left to anyone."""
    ledger.release_dead(issue_id, claimant)  # a killed run's rows first: they were next in line
    while True:
        rows = ledger.claim(issue_id, claimant, options.claim_batch, options.claim_lease)
        if rows:
            yield from rows
            continue
        if ledger.release_dead(issue_id, claimant):
            continue
        if not ledger.claimed_by_others(issue_id, claimant):
            return
        time.sleep(0.5)
        yield WAIT


class _Run:
    """One send run's shared state; the dispatcher and the workers meet at `cv`."""

    def __init__(
        self,
        store: Store,
        issue_id: str,
        sender: Callable[[int, str], str],
        personalizer: Personalizer,
        transport: Transport,
        options: SendOptions,
        report: SendReport,
    ):
        self.store, self.issue_id, self.sender = store, issue_id, sender
        self.personalizer, self.transport, self.options, self.report = (
            personalizer,
            transport,
            options,
            report,
        )
        self.cv = threading.Condition()
        self._ledger: SendLedger | None = None  # the workers' connection, opened by the first
        self._ledger_lock = threading.Lock()
        self.work: queue.Queue[_Item | None] = queue.Queue(maxsize=max(64, options.connections * 8))
        self.retries: list[_Retry] = []
        self.seq = 0
        self.in_flight = 0
        self.fatal: NewsletterError | None = None
        self.connected = False  # a session opened in this run: later connect failures are retried
        self.rng = random.Random()
        self.claimant = new_claimant()
        self.finished = threading.Event()

    def backoff(self, attempt: int) -> float:
        """Exponential with full jitter in [½d, d]: retries of many recipients spread out."""
        d = min(self.options.retry_max_delay, self.options.retry_base_delay * 2 ** max(0, attempt - 1))
        return d * (0.5 + self.rng.random() / 2)

    def schedule_retry(self, item: _Item, delay: float) -> None:
        with self.cv:
            self.seq += 1
            heapq.heappush(self.retries, _Retry(time.monotonic() + delay, self.seq, item))
            self.cv.notify_all()

    def done_one(self) -> None:
        with self.cv:
            self.in_flight -= 1
            self.cv.notify_all()

    def count(self, attr: str) -> None:
        with self.cv:
            setattr(self.report, attr, getattr(self.report, attr) + 1)

    # -- worker -------------------------------------------------------------------------------

    def record(self, outcome: Outcome | None, next_sending: int | None = None) -> bool:
        """Commit one worker's outcome (and mark its next message), one worker at a time.
        False: the next message's claim was taken over by another sender; do not send it."""
        if outcome is None and next_sending is None:
            return True
        return self._with_ledger(
            lambda ledger: ledger.record(
                outcome, self.issue_id, next_sending=next_sending, claimant=self.claimant
            )
        )

    def _with_ledger(self, action: Callable[[SendLedger], T]) -> T:
        with self._ledger_lock:
            if self._ledger is None:
                self._ledger = SendLedger(self.store, results=True)
            return action(self._ledger)

    def keeper(self) -> None:
        """Renew this run's claims while it works, so no other sender takes over live rows."""
        interval = max(0.5, self.options.claim_lease / 4)
        while not self.finished.wait(interval):
            try:
                self._with_ledger(
                    lambda ledger: ledger.renew(self.issue_id, self.claimant, self.options.claim_lease)
                )
            except Exception as e:  # the database is gone: stop before the leases run out
                self.stop(NewsletterError(f"cannot renew this sender's claims: {type(e).__name__}: {e}"))
                return

    def close(self) -> None:
        """Close the workers' connection, once every worker has stopped."""
        with self._ledger_lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None

    def worker(self) -> None:
        session: Session | None = None
        unrecorded: Outcome | None = None
        connect_failures = 0
        try:
            while True:
                try:
                    item = self.work.get_nowait()
                except queue.Empty:
                    self.record(unrecorded)  # never sit on an accepted message
                    unrecorded = None
                    item = self.work.get()
                if item is None:
                    break
                if self.fatal is not None:  # stopping: leave the rest queued for the next run
                    self.done_one()
                    continue
                try:
                    data = self.personalizer.render(item.address, item.name)
                except NewsletterError as e:  # e.g. a name with a line break slipped into the list
                    self.record(unrecorded)
                    unrecorded = Outcome(item.subscriber_id, "failed", f"not sent: {e}", "permanent")
                    self.count("failed_permanent")
                    self.done_one()
                    continue
                ours = self.record(unrecorded, next_sending=item.subscriber_id)
                unrecorded = None
                if not ours:  # another sender took this row over (our lease ran out): theirs now
                    self.count("lost_claims")
                    self.done_one()
                    continue
                try:
                    if session is None:
                        session = self.transport.open()
                        self.connected = True
                    connect_failures = 0
                    reply = session.send(self.sender(item.subscriber_id, item.address), item.address, data)
                    unrecorded = Outcome(item.subscriber_id, "sent", reply, message_id=queue_id(reply))
                    self.count("sent")
                except ConnectFailure as e:
                    # The server, not the message: retry the message uncharged, back off the connection.
                    connect_failures += 1
                    if not self.connected:
                        # Never reached in this run: a wrong host or port, not a busy server.
                        self.stop(
                            NewsletterError(
                                f"{e}. Nothing is lost: check {SMTP_URL_ENV} (host and port), "
                                "then rerun `newsletter send`"
                            )
                        )
                    elif connect_failures >= self.options.max_attempts:
                        self.stop(
                            NewsletterError(
                                f"{e}; gave up after {connect_failures} attempts. Nothing is lost: "
                                "rerun `newsletter send` when the server is reachable"
                            )
                        )
                    self.schedule_retry(item, 0.0)
                    time.sleep(self.backoff(connect_failures))
                except DeliveryFailure as e:
                    if e.connection_lost and session is not None:
                        session.close()
                        session = None
                    item.attempts += 1
                    if e.ambiguous:  # maybe delivered: never resent without the operator's word
                        unrecorded = Outcome(item.subscriber_id, "unknown", e.reply)
                        self.count("unknown")
                    elif e.permanent:
                        bounce = e.recipient_refused and self.options.bounce_on_permanent_failure
                        unrecorded = Outcome(item.subscriber_id, "failed", e.reply, "permanent", bounce)
                        self.count("failed_permanent")
                    else:
                        unrecorded = Outcome(item.subscriber_id, "failed", e.reply, "temporary")
                        if item.attempts < self.options.max_attempts:
                            self.count("retries")
                            self.schedule_retry(item, self.backoff(item.attempts))
                        else:
                            self.count("failed_temporary")
                except TransportFatal as e:
                    self.stop(e)
                    self.schedule_retry(item, 0.0)  # stays pending in the ledger for the next run
                finally:
                    self.done_one()
        except BaseException as e:  # a bug or a broken database: stop the run, never hang it
            if is_database_error(e):  # e.g. the server restarted: what was sent stays `sending`
                self.stop(database_error(e, self.store))
                return
            self.stop(NewsletterError(f"a send worker stopped: {type(e).__name__}: {e}"))
            raise
        finally:
            try:
                self.record(unrecorded)
            except Exception as e:  # the database is gone: the row stays `sending`, resent by a rerun
                if not is_database_error(e):
                    raise
                self.stop(database_error(e, self.store))
            finally:
                if session is not None:
                    session.close()

    def drain(self) -> None:
        """Empty the work queue (at the end of a run, so the workers' stop signals fit in it)."""
        with contextlib.suppress(queue.Empty):
            while True:
                self.work.get_nowait()

    def stop(self, error: NewsletterError) -> None:
        with self.cv:
            if self.fatal is None:
                self.fatal = error
            self.cv.notify_all()

    # -- dispatcher ---------------------------------------------------------------------------

    def dispatch(
        self,
        pending: Iterator[Recipient | None],
        ledger: SendLedger,
        pacer: Pacer,
        progress: ProgressFn | None,
    ) -> None:
        limit = self.options.limit
        claimed = 0
        stream_done = False
        last_progress = 0.0
        waiting = False  # other senders hold the rest: ask the stream again later
        while True:
            item: _Item | None = None
            with self.cv:
                if self.fatal is not None:
                    return
                if self.retries and self.retries[0].due <= time.monotonic():
                    item = heapq.heappop(self.retries).item
            if item is None and not stream_done and (limit is None or claimed < limit):
                try:
                    row = next(pending)
                except StopIteration:
                    row, stream_done = None, True
                waiting = row is WAIT and not stream_done
                if row is None:
                    pass
                elif row.subscriber_status != "active":
                    ledger.skip(self.issue_id, row.subscriber_id, f"subscriber is {row.subscriber_status}")
                    self.count("skipped")
                    continue
                else:
                    item = _Item(row.subscriber_id, row.address, row.name)
                    claimed += 1
            if progress and time.monotonic() - last_progress >= 0.2:
                last_progress = time.monotonic()
                self.report.duration = last_progress - self.report.started
                progress(self.report)
            if item is None:
                with self.cv:
                    if self.in_flight == 0 and not self.retries and (stream_done or claimed == limit):
                        return
                    if self.retries:
                        timeout = max(0.0, self.retries[0].due - time.monotonic())
                        self.cv.wait(min(timeout, 0.5))
                    elif waiting or (not stream_done and (limit is None or claimed < limit)):
                        continue
                    else:
                        self.cv.wait(0.5)
                continue
            pacer.wait()
            with self.cv:
                self.in_flight += 1
            while not self._hand_over(item):
                if self.fatal is not None:  # the workers stopped (e.g. the database went away)
                    return

    def _hand_over(self, item: _Item) -> bool:
        try:
            self.work.put(item, timeout=0.5)
        except queue.Full:
            return False
        return True
