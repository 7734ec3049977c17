"""The suppression policy and its memory: every report about a recipient, the decision, the evidence.

A hard bounce suppresses the address at once (status `bounced`); soft bounces do once
`soft_limit` of them arrived within `soft_days` (since the address was last activated); a
complaint suppresses at once (status `complained`) and is counted for the complaint rate.
Suppression is global: the sender mails only `active` subscribers, whatever the transport,
so a suppressed address gets nothing until an operator lifts it (`subscribers unsuppress`) or
the person signs up again and confirms.

Nothing is trusted blindly: a report's bounce token (VERP) must verify against the secret and
the subscriber it names, else the report is kept as evidence and suppresses nobody. Every
report is written to the `feedback` table once (keyed by the message it came in), so reading a
mailbox twice changes nothing. All SQL of feedback lives in this one module.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Config
from ..delivery.database import now, open_database, transaction
from ..delivery.tokens import BadToken, issue_key, split_verp_token, verp_matches
from .events import FeedbackEvent

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    report TEXT NOT NULL,                      -- the message (or notification) it came in: read once
    address TEXT NOT NULL,
    subscriber_id INTEGER,                     -- NULL: an address not on the list
    issue_id TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('bounce', 'complaint', 'delivery')),
    severity TEXT NOT NULL CHECK (severity IN ('hard', 'soft')),
    status TEXT NOT NULL DEFAULT '',           -- 5.1.1, or the feedback type of a complaint
    diagnostic TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    received TEXT NOT NULL,
    recorded TEXT NOT NULL,
    decision TEXT NOT NULL,                    -- see DECISIONS
    UNIQUE (report, address, kind)
)""",
    "CREATE INDEX IF NOT EXISTS feedback_subscriber ON feedback (subscriber_id, received)",
    "CREATE INDEX IF NOT EXISTS feedback_issue ON feedback (issue_id)",
)

#: What a report made us do: suppressed the address; counted it (a soft bounce under the limit, a
#: report about an address suppressed before, a delivery); nothing, because the address is not
#: on the list or the report's bounce token is forged.
DECISIONS = ("suppressed", "counted", "unknown address", "forged token")


@dataclass(frozen=True)
class SuppressionPolicy:
    soft_limit: int = 3
    soft_days: int = 30

    @classmethod
    def from_config(cls, config: Config) -> SuppressionPolicy:
        return cls(config.delivery.soft_bounce_limit, config.delivery.soft_bounce_days)


@dataclass(frozen=True)
class Decision:
    """What recording one event did, for the command's one line per report."""

    event: FeedbackEvent
    decision: str
    duplicate: bool = False  # recorded before (the same report read again): nothing changed

    def line(self) -> str:
        e = self.event
        what = f"{e.kind} ({e.severity}, {e.status})" if e.kind == "bounce" else f"{e.kind} ({e.status})"
        if self.duplicate:
            return f"{e.address}: {what}: recorded before; nothing changed"
        return f"{e.address or '?'}: {what}: {self.decision}"


class FeedbackLedger:
    """The `feedback` table beside the subscribers and the send ledger, in the same database."""

    def __init__(self, path: Path, *, db: sqlite3.Connection | None = None):
        self.db = db or open_database(path)
        for statement in SCHEMA:
            self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    def record(
        self,
        events: Iterable[FeedbackEvent],
        report: str,
        policy: SuppressionPolicy | None = None,
        *,
        secret: str | None = None,
    ) -> list[Decision]:
        """Apply the policy to the events of one report (`report`: the message's key) in one commit.

        `secret` verifies bounce tokens; without it an event's token is ignored and its address
        used as reported (e.g. an ESP's notification, which names the recipient itself).
        """
        policy = policy or SuppressionPolicy()
        decisions = []
        with transaction(self.db):
            for event in events:
                decisions.append(self._record_one(event, report, policy, secret))
        return decisions

    def _record_one(
        self, event: FeedbackEvent, report: str, policy: SuppressionPolicy, secret: str | None
    ) -> Decision:
        event, subscriber, forged = self._resolve(event, secret)
        if subscriber is not None and not forged and not event.issue_id:
            event = replace(event, issue_id=self._last_issue(subscriber[0], event.received))
        t = now()
        decision = "forged token" if forged else "unknown address" if subscriber is None else "counted"
        if subscriber is not None and not forged:
            decision = self._decide(event, subscriber, policy)
        cur = self.db.execute(
            "INSERT INTO feedback (report, address, subscriber_id, issue_id, kind, severity, status,"
            " diagnostic, source, received, recorded, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (report, address, kind) DO NOTHING",
            (
                report,
                event.address.lower(),
                None if forged or subscriber is None else subscriber[0],
                event.issue_id,
                event.kind,
                event.severity,
                event.status[:40],
                event.diagnostic[:1000],
                event.source[:500],
                event.received or t,
                t,
                decision,
            ),
        )
        if not cur.rowcount:
            return Decision(event, decision, duplicate=True)
        if decision == "suppressed" and subscriber is not None:
            status = "complained" if event.kind == "complaint" else "bounced"
            self.db.execute(
                "UPDATE subscribers SET status = ?, changed = ? WHERE id = ?", (status, t, subscriber[0])
            )
        return Decision(event, decision)

    def _resolve(
        self, event: FeedbackEvent, secret: str | None
    ) -> tuple[FeedbackEvent, tuple[int, str, str, str] | None, bool]:
        """(the event naming the verified recipient and issue, the subscriber row, forged?)."""
        if event.verp and secret:
            try:
                subscriber_id, key, _ = split_verp_token(event.verp)
            except BadToken:
                subscriber_id = 0  # not our token's shape: a plus address of the operator's own
            if subscriber_id:
                row = self._subscriber("id = ?", subscriber_id)
                if row is None or not verp_matches(secret, event.verp, row[1]):
                    return event, None, True
                issue = next(
                    (i for (i,) in self.db.execute("SELECT issue_id FROM sends") if issue_key(i) == key), ""
                )
                return replace(event, address=row[1], issue_id=issue or event.issue_id), row, False
        return event, self._subscriber("address_key = ?", event.address.strip().lower()), False

    def _last_issue(self, subscriber_id: int, before: str) -> str:
        """The issue a report without a bounce token is about: the last one sent to the address."""
        row = self.db.execute(
            "SELECT issue_id FROM deliveries WHERE subscriber_id = ? AND status = 'sent' AND changed <= ?"
            " ORDER BY changed DESC LIMIT 1",
            (subscriber_id, before or now()),
        ).fetchone()
        return str(row[0]) if row else ""

    def _subscriber(self, where: str, value: object) -> tuple[int, str, str, str] | None:
        row = self.db.execute(f"SELECT id, address, status, changed FROM subscribers WHERE {where}", (value,))
        found = row.fetchone()
        return (int(found[0]), str(found[1]), str(found[2]), str(found[3])) if found else None

    def _decide(
        self, event: FeedbackEvent, subscriber: tuple[int, str, str, str], policy: SuppressionPolicy
    ) -> str:
        subscriber_id, _, status, changed = subscriber
        if event.kind == "delivery":
            return "counted"
        if event.kind == "complaint":
            return "counted" if status == "complained" else "suppressed"
        if status != "active":
            return "counted"
        if event.severity == "hard":
            return "suppressed"
        since = max(changed, _days_ago(policy.soft_days))
        (earlier,) = self.db.execute(
            "SELECT count(*) FROM feedback WHERE subscriber_id = ? AND kind = 'bounce' AND severity = 'soft'"
            " AND received >= ?",
            (subscriber_id, since),
        ).fetchone()
        return "suppressed" if earlier + 1 >= policy.soft_limit else "counted"

    # --- what the commands show ------------------------------------------------------------

    def reasons(self) -> dict[int, str]:
        """Why each suppressed subscriber is suppressed: the evidence of the deciding report."""
        rows = self.db.execute(
            "SELECT f.subscriber_id, f.kind, f.severity, f.status, f.diagnostic, f.received FROM feedback f"
            " JOIN subscribers s ON s.id = f.subscriber_id"
            " WHERE f.decision = 'suppressed' AND s.status IN ('bounced', 'complained')"
            " ORDER BY f.id"
        )
        found: dict[int, str] = {}
        for subscriber_id, kind, severity, status, diagnostic, received in rows:
            what = f"{severity} bounce" if kind == "bounce" else kind
            found[subscriber_id] = " ".join(f"{what} {status} {received[:10]}: {diagnostic}".split())[:200]
        return found

    def unsuppress(self, address: str) -> bool:
        """Lift a suppression (an operator's decision): the address is active again. False if
        the address is not suppressed. The evidence stays; soft bounces before now no longer count."""
        cur = self.db.execute(
            "UPDATE subscribers SET status = 'active', changed = ?"
            " WHERE address_key = ? AND status IN ('bounced', 'complained')",
            (now(), address.strip().lower()),
        )
        return cur.rowcount > 0


def _days_ago(days: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).replace(microsecond=0).isoformat()
