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
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..config import Config
from ..delivery.tokens import BadToken, issue_key, split_verp_token, verp_matches
from ..store import Tables, now, transaction
from .events import FeedbackEvent

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


class FeedbackLedger(Tables):
    """The `feedback` table beside the subscribers and the send ledger, in the same database.
    Open one per thread (connections are not shared)."""

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
        with transaction(self.db):
            return [self._record_one(event, report, policy, secret) for event in events]

    def _record_one(
        self, event: FeedbackEvent, report: str, policy: SuppressionPolicy, secret: str | None
    ) -> Decision:
        event, subscriber, forged = self._resolve(event, secret)
        if subscriber is not None and not forged and not event.issue_id:
            event = replace(event, issue_id=self._last_issue(subscriber[0], event.received))
        t = now()
        decision = "forged token" if forged else "unknown address" if subscriber is None else "counted"
        address = event.address.lower()
        if (
            report
            and self._run(
                "SELECT 1 FROM feedback WHERE report = :report AND address = :address AND kind = :kind",
                report=report,
                address=address,
                kind=event.kind,
            ).first()
        ):
            return Decision(event, decision, duplicate=True)
        if subscriber is not None and not forged:
            decision = self._decide(event, subscriber, policy)
        self._run(
            "INSERT INTO feedback (report, address, subscriber_id, issue_id, kind, severity, status_code,"
            " diagnostic, source, received, recorded, decision) VALUES (:report, :address, :subscriber,"
            " :issue, :kind, :severity, :status, :diagnostic, :source, :received, :t, :decision)",
            report=report,
            address=address,
            subscriber=None if forged or subscriber is None else subscriber[0],
            issue=event.issue_id,
            kind=event.kind,
            severity=event.severity,
            status=event.status[:40],
            diagnostic=event.diagnostic[:1000],
            source=event.source[:500],
            received=event.received or t,
            t=t,
            decision=decision,
        )
        if decision == "suppressed" and subscriber is not None:
            self._run(
                "UPDATE subscribers SET status = :status, reason = :reason, changed = :t WHERE id = :id",
                status="complained" if event.kind == "complaint" else "bounced",
                reason=evidence(event),
                t=t,
                id=subscriber[0],
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
                row = self._subscriber("id = :value", subscriber_id)
                if row is None or not verp_matches(secret, event.verp, row[1]):
                    return event, None, True
                sends = self._run("SELECT issue_id FROM sends").all()
                issue = next((i for (i,) in sends if issue_key(i) == key), "")
                return replace(event, address=row[1], issue_id=issue or event.issue_id), row, False
        return event, self._subscriber("address_key = :value", event.address.strip().lower()), False

    def _last_issue(self, subscriber_id: int, before: str) -> str:
        """The issue a report without a bounce token is about: the last one sent to the address."""
        row = self._run(
            "SELECT issue_id FROM deliveries WHERE subscriber_id = :id AND status = 'sent' AND changed <= :t"
            " ORDER BY changed DESC LIMIT 1",
            id=subscriber_id,
            t=before or now(),
        ).first()
        return str(row[0]) if row else ""

    def _subscriber(self, where: str, value: object) -> tuple[int, str, str, str] | None:
        found = self._run(
            f"SELECT id, address, status, changed FROM subscribers WHERE {where}", value=value
        ).first()
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
        (earlier,) = self._run(
            "SELECT count(*) FROM feedback WHERE subscriber_id = :id AND kind = 'bounce'"
            " AND severity = 'soft' AND received >= :since",
            id=subscriber_id,
            since=since,
        ).first()
        return "suppressed" if earlier + 1 >= policy.soft_limit else "counted"

    # --- what the commands show ------------------------------------------------------------

    def reasons(self) -> dict[int, str]:
        """Why each suppressed subscriber is suppressed: the evidence of the deciding report."""
        rows = self._run(
            "SELECT id, reason FROM subscribers WHERE status IN ('bounced', 'complained') AND reason != ''"
        )
        return {int(subscriber_id): str(reason) for subscriber_id, reason in rows}

    def unsuppress(self, address: str) -> bool:
        """Lift a suppression (an operator's decision): the address is active again. False if
        the address is not suppressed. The evidence stays; soft bounces before now no longer count."""
        cur = self._run(
            "UPDATE subscribers SET status = 'active', reason = '', changed = :t"
            " WHERE address_key = :key AND status IN ('bounced', 'complained')",
            t=now(),
            key=address.strip().lower(),
        )
        return cur.rowcount > 0


def evidence(event: FeedbackEvent) -> str:
    """One line saying why an address was suppressed: what, the code, when, the server's words."""
    what = f"{event.severity} bounce" if event.kind == "bounce" else event.kind
    return " ".join(f"{what} {event.status} {event.received[:10]}: {event.diagnostic}".split())[:300]


def _days_ago(days: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).replace(microsecond=0).isoformat()
