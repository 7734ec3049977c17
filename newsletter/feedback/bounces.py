"""`newsletter bounces`: read a mailbox of returned mail, apply the suppression policy, put it aside.

Each message is recorded (one commit) before it is put aside, so a crash in between only means
the next run reads it again, and finds it recorded: nothing is lost, nothing counted twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import Config
from ..errors import NewsletterError
from .mailboxes import open_mailbox
from .parse import Unreadable, parse_report
from .record import FeedbackLedger, SuppressionPolicy


@dataclass
class BounceRun:
    """What one run did: decisions by kind, and the messages left in the mailbox."""

    source: str
    messages: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    unreadable: int = 0
    ignored: int = 0  # reports that ask nothing (delays, deliveries, not-spam): put aside

    def summary(self) -> str:
        parts = [f"{self.source}: {self.messages} message(s)"]
        parts += [f"{n} {what}" for what, n in sorted(self.decisions.items())]
        if self.ignored:
            parts.append(f"{self.ignored} needing nothing")
        if self.unreadable:
            parts.append(f"{self.unreadable} unreadable (left in the mailbox)")
        return ", ".join(parts)


def report_key(data: bytes) -> str:
    """The name a message is recorded under: its content, which no sender can make collide."""
    return "sha256:" + hashlib.sha256(data).hexdigest()[:40]


def process_mailbox(
    config: Config, source: str | None = None, *, secret: str | None, say: Callable[[str], None] | None = None
) -> BounceRun:
    """Read `source` (default: [delivery] bounce_mailbox) and record what it reports."""
    source = source or config.delivery.bounce_mailbox
    if not source:
        raise NewsletterError("no mailbox given; pass one or set [delivery] bounce_mailbox")
    say = say or (lambda _line: None)
    policy = SuppressionPolicy.from_config(config)
    box = open_mailbox(source, config.root)
    run = BounceRun(box.describe())
    ledger = FeedbackLedger(config)
    try:
        for key, data in box.messages():
            run.messages += 1
            where = f"{box.describe()} {key}"
            try:
                events = parse_report(data, where, secret)
            except Unreadable as e:
                run.unreadable += 1
                say(f"{where}: {e}")
                continue
            decisions = ledger.record(events, report_key(data), policy, secret=secret)
            for d in decisions:
                run.decisions["recorded before" if d.duplicate else d.decision] += 1
                say(d.line())
            if not events:
                run.ignored += 1
            box.done(key)
    finally:
        try:
            box.close()
        finally:
            ledger.close()
    return run
