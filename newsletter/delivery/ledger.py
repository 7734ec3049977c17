"""The send ledger: one row per (issue, recipient), so no recipient is lost and none gets two copies.

queued → sending → sent, or failed (temporary or permanent, with the server's reply), or skipped
(unsubscribed before their turn). A row turns `sending` in the same commit that records the
previous message's result, just before its DATA is transmitted; it turns `sent` as soon as the
server accepts it. So after a crash, only `sending` rows — at most one per open connection — can
have been delivered without the ledger knowing, and a rerun resends exactly the rows not `sent`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .database import Store, now, open_database, transaction

PENDING = "(d.status IN ('queued', 'sending') OR (d.status = 'failed' AND d.failure = 'temporary'))"


@dataclass(frozen=True)
class Recipient:
    """A pending ledger row with the subscriber's current name and status."""

    subscriber_id: int
    address: str
    name: str
    subscriber_status: str
    ledger_status: str


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt, to be recorded: `status` is 'sent' or 'failed'."""

    subscriber_id: int
    status: str
    reply: str
    failure: str | None = None  # 'temporary' | 'permanent'
    bounce: bool = False


@dataclass(frozen=True)
class LedgerCounts:
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed_temporary: int = 0
    failed_permanent: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return (
            self.queued
            + self.sending
            + self.sent
            + self.failed_temporary
            + self.failed_permanent
            + self.skipped
        )

    @property
    def pending(self) -> int:
        return self.queued + self.sending + self.failed_temporary


def audience_sql() -> str:
    """Active subscribers of an issue's edition: same language, or none and the site's language."""
    return (
        "status = 'active' AND (language = :lang OR language LIKE :lang || '-%'"
        " OR (language = '' AND :lang = :site_lang))"
    )


class SendLedger(Store):
    """The `sends` and `deliveries` tables. Open one per thread (SQLite connections are not shared)."""

    def __init__(self, path: Path, *, db: sqlite3.Connection | None = None):
        self.path = path
        self.db = db or open_database(path)

    def is_enqueued(self, issue_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM sends WHERE issue_id = ?", (issue_id,)).fetchone() is not None

    def audience_size(self, language: str, site_language: str) -> int:
        return int(
            self.db.execute(
                f"SELECT count(*) FROM subscribers WHERE {audience_sql()}",
                {"lang": language.lower(), "site_lang": site_language.lower()},
            ).fetchone()[0]
        )

    def audience(self, language: str, site_language: str, batch: int = 1000) -> Iterator[tuple[str, str]]:
        """(address, name) of the issue's audience, streamed in pages (for a dry run)."""
        last = 0
        params = {"lang": language.lower(), "site_lang": site_language.lower(), "n": batch}
        while True:
            rows = self.db.execute(
                f"SELECT id, address, name FROM subscribers WHERE id > :last AND {audience_sql()}"
                " ORDER BY id LIMIT :n",
                {**params, "last": last},
            ).fetchall()
            if not rows:
                return
            for _, address, name in rows:
                yield address, name
            last = rows[-1][0]

    def enqueue(self, issue_id: str, slug: str, language: str, site_language: str) -> int:
        """Queue the issue for its audience, once: the recipient list is fixed at the first send,
        so a rerun continues it rather than mailing an old issue to people who joined later.
        Returns the number of rows queued now (0 if the issue was queued before)."""
        with transaction(self.db):
            if self.is_enqueued(issue_id):
                return 0
            t = now()
            cur = self.db.execute(
                "INSERT INTO deliveries (issue_id, subscriber_id, address, status, changed)"
                f" SELECT :issue, id, address, 'queued', :t FROM subscribers WHERE {audience_sql()}",
                {"issue": issue_id, "t": t, "lang": language.lower(), "site_lang": site_language.lower()},
            )
            n = cur.rowcount
            self.db.execute(
                "INSERT INTO sends (issue_id, slug, enqueued, recipients) VALUES (?, ?, ?, ?)",
                (issue_id, slug, t, n),
            )
        return n

    def pending(self, issue_id: str, batch: int = 500) -> Iterator[Recipient]:
        """Rows not yet sent, in subscriber order, in short pages (no read transaction stays open,
        so the WAL can be checkpointed during a long run and memory stays flat)."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT d.subscriber_id, d.address, s.name, s.status, d.status FROM deliveries d"
                " JOIN subscribers s ON s.id = d.subscriber_id"
                f" WHERE d.issue_id = ? AND d.subscriber_id > ? AND {PENDING}"
                " ORDER BY d.subscriber_id LIMIT ?",
                (issue_id, last, batch),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Recipient(*row)
            last = rows[-1][0]

    def counts(self, issue_id: str) -> LedgerCounts:
        c: dict[str, int] = {}
        for status, failure, n in self.db.execute(
            "SELECT status, failure, count(*) FROM deliveries WHERE issue_id = ? GROUP BY status, failure",
            (issue_id,),
        ):
            key = f"failed_{failure}" if status == "failed" else status
            c[key] = c.get(key, 0) + n
        return LedgerCounts(**c)

    def record(self, outcome: Outcome | None, issue_id: str, next_sending: int | None = None) -> None:
        """Record one attempt's outcome and mark the next message `sending`, in one commit."""
        if outcome is None and next_sending is None:
            return
        t = now()
        with transaction(self.db):
            if outcome is not None:
                self.db.execute(
                    "UPDATE deliveries SET status = ?, failure = ?, reply = ?, attempts = attempts + 1,"
                    " changed = ? WHERE issue_id = ? AND subscriber_id = ?",
                    (
                        outcome.status,
                        outcome.failure,
                        outcome.reply[:1000],
                        t,
                        issue_id,
                        outcome.subscriber_id,
                    ),
                )
                if outcome.bounce:
                    self.db.execute(
                        "UPDATE subscribers SET status = 'bounced', changed = ?"
                        " WHERE id = ? AND status = 'active'",
                        (t, outcome.subscriber_id),
                    )
            if next_sending is not None:
                self.db.execute(
                    "UPDATE deliveries SET status = 'sending', changed = ?"
                    " WHERE issue_id = ? AND subscriber_id = ?",
                    (t, issue_id, next_sending),
                )

    def skip(self, issue_id: str, subscriber_id: int, reason: str) -> None:
        self.db.execute(
            "UPDATE deliveries SET status = 'skipped', reply = ?, changed = ?"
            " WHERE issue_id = ? AND subscriber_id = ?",
            (reason, now(), issue_id, subscriber_id),
        )

    def sent_since(self, since: dt.datetime) -> list[dt.datetime]:
        """When messages (of any issue) were sent after `since`, oldest first: the hourly cap's memory."""
        stamp = since.astimezone(dt.UTC).replace(microsecond=0).isoformat()
        return [
            dt.datetime.fromisoformat(r[0])
            for r in self.db.execute(
                "SELECT changed FROM deliveries WHERE status = 'sent' AND changed > ? ORDER BY changed",
                (stamp,),
            )
        ]
