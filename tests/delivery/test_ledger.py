from __future__ import annotations

import pytest

from newsletter.delivery.ledger import Outcome, SendLedger
from newsletter.delivery.pacing import Pacer
from newsletter.delivery.subscribers import SubscriberList
from tests.state import migrated

ISSUE = "tag:example.org,2025-11-20:x"


@pytest.fixture
def ledger(database_url: str) -> SendLedger:
    db = migrated(database_url)
    subs = SubscriberList(db)
    for addr, lang in [("de@example.org", "de"), ("none@example.org", ""), ("at@example.org", "de-at"),
                       ("fr@example.org", "fr"), ("gone@example.org", "de")]:  # fmt: skip
        subs.add(addr, language=lang)
    subs.set_status("gone@example.org", "unsubscribed")
    subs.close()
    return SendLedger(db)


def test_enqueue_takes_the_issue_language_audience_once(ledger: SendLedger) -> None:
    assert ledger.enqueue(ISSUE, "x", "de", "de") == 3
    assert ledger.enqueue(ISSUE, "x", "de", "de") == 0
    assert sorted(r.address for r in ledger.pending(ISSUE)) == [
        "at@example.org", "de@example.org", "none@example.org",
    ]  # fmt: skip
    assert ledger.enqueue("tag:example.org,2025:fr", "fr", "fr", "de") == 1


def test_record_moves_rows_and_counts(ledger: SendLedger) -> None:
    ledger.enqueue(ISSUE, "x", "de", "de")
    first, second, third = (r.subscriber_id for r in ledger.pending(ISSUE, batch=2))
    ledger.record(None, ISSUE, next_sending=first)
    ledger.record(Outcome(first, "sent", "250 ok"), ISSUE, next_sending=second)
    ledger.record(Outcome(second, "failed", "451 later", "temporary"), ISSUE, next_sending=third)
    c = ledger.counts(ISSUE)
    assert (c.sent, c.sending, c.failed_temporary, c.pending) == (1, 1, 1, 2)
    ledger.record(Outcome(third, "failed", "550 no", "permanent", bounce=True), ISSUE)
    assert [r.subscriber_id for r in ledger.pending(ISSUE)] == [second]  # temporary: retried next run
    subs = SubscriberList(db=ledger.db)
    assert [s.status for s in subs.stream()].count("bounced") == 1


def test_pacer_rate_and_hourly_cap() -> None:
    now = [1000.0]
    slept: list[float] = []
    notices: list[str] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    pacer = Pacer(2.0, 4, [now[0] - 3500], clock=lambda: now[0], sleep=sleep, notice=notices.append)
    for _ in range(3):
        pacer.wait()
    assert slept == [0.5, 0.5]  # 2 per second
    pacer.wait()  # the 4th in the hour: waits until the oldest (3500 s ago) leaves the window
    assert slept[-1] == pytest.approx(99.0) and "hourly cap of 4 reached" in notices[0]
