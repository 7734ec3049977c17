"""The feedback policy and the issue report on both stores: SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from newsletter.delivery.ledger import SendLedger
from newsletter.delivery.subscribers import SubscriberList
from newsletter.feedback.events import FeedbackEvent
from newsletter.feedback.record import FeedbackLedger, SuppressionPolicy
from newsletter.feedback.report import complaint_gate, issue_report
from newsletter.store import open_store, upgrade

from .conftest import ISSUE


def test_policy_and_report_on_each_backend(database_url: str) -> None:
    store = open_store(database_url, check=False)
    upgrade(store)
    subs = SubscriberList(store)
    try:
        for address in ("a@example.org", "b@example.org", "c@example.org"):
            subs.add(address, language="de")
    finally:
        subs.close()
    ledger = SendLedger(store)
    try:
        ledger.enqueue(ISSUE, "sample-issue", "de", "de")
    finally:
        ledger.close()
    with store.connect() as conn:
        conn.execute(text("UPDATE deliveries SET status = 'sent'"))
    feedback = FeedbackLedger(store)
    try:
        policy = SuppressionPolicy(soft_limit=2)
        soft = FeedbackEvent("bounce", "b@example.org", "soft", status="4.2.2", issue_id=ISSUE)
        decisions = [
            feedback.record([FeedbackEvent("bounce", "a@example.org", "hard", status="5.1.1")], "r1", policy),
            feedback.record([soft], "r2", policy),
            feedback.record([soft], "r2", policy),  # the same report again
            feedback.record([soft], "r3", policy),
            feedback.record([FeedbackEvent("complaint", "C@example.org", status="abuse")], "r4", policy),
        ]
        assert [(d.decision, d.duplicate) for (d,) in decisions] == [
            ("suppressed", False),
            ("counted", False),
            ("counted", True),
            ("suppressed", False),
            ("suppressed", False),
        ]
        assert sorted(feedback.reasons().values())[0].startswith("complaint abuse")
    finally:
        feedback.close()
    (de,) = issue_report(database_url, ISSUE).editions
    assert (de.sent, de.hard_bounced, de.soft_bounced, de.complained) == (3, 1, 1, 1)
    assert (complaint_gate(database_url, force=True) or "").startswith("warning: the complaint rate")
