"""The send ledger: one row per (issue, recipient), so no recipient is lost and none gets two copies.

queued → sending → sent, or failed (temporary or permanent, with the server's reply), or skipped
(unsubscribed before their turn), or unknown (the connection dropped after the message was
handed over and before the server's answer: it may have arrived; a rerun leaves it alone unless
the operator asks with `send --retry-unknown`). A row turns `sending` in the same commit that
records the previous message's result, just before its DATA is transmitted; it turns `sent` as
soon as the server accepts it. So after a crash, only `sending` rows — at most one per open
connection — can have been delivered without the ledger knowing, and a rerun resends exactly the
rows not `sent`.

Several senders (processes, possibly on different hosts) share one issue through claims: a
sender claims a batch of pending rows for a lease (`claimed_by`, `claim_expires`), renews the
lease while it works, and marks a row `sending` only while the claim is still its own. A sender
that dies leaves claims that another takes over when the lease expires (at once, when the dead
process was on the same host). PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite's write
transactions are serialized anyway.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, bindparam, text

from ..store import Store, Tables, now, open_store, transaction

PENDING = "(d.status IN ('queued', 'sending') OR (d.status = 'failed' AND d.failure = 'temporary'))"
CLAIMABLE = "(d.claimed_by IS NULL OR d.claim_expires < :now)"


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
    """The result of one attempt, to be recorded: `status` is 'sent', 'failed' or 'unknown'."""

    subscriber_id: int
    status: str
    reply: str
    failure: str | None = None  # 'temporary' | 'permanent'
    bounce: bool = False
    message_id: str = ""  # the transport's id for the message (SMTP queue id, SES message id)


@dataclass(frozen=True)
class LedgerCounts:
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed_temporary: int = 0
    failed_permanent: int = 0
    skipped: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return (
            self.queued
            + self.sending
            + self.sent
            + self.failed_temporary
            + self.failed_permanent
            + self.skipped
            + self.unknown
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


def new_claimant() -> str:
    """This sender's name in `claimed_by`: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claimant_is_dead(claimant: str) -> bool:
    """True when `claimant` was a process on this host that no longer runs."""
    host, _, rest = claimant.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _later(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).replace(microsecond=0).isoformat()


_SELECT_RECIPIENTS = (
    "SELECT d.subscriber_id, d.address, s.name, s.status, d.status FROM deliveries d"
    " JOIN subscribers s ON s.id = d.subscriber_id"
)
_RECORD = text(
    "UPDATE deliveries SET status = :status, failure = :failure, reply = :reply,"
    " message_id = :message_id, attempts = attempts + 1, changed = :t"
    " WHERE issue_id = :issue AND subscriber_id = :id"
)
_BOUNCE = text(
    "UPDATE subscribers SET status = 'bounced', reason = :reply, changed = :t"
    " WHERE id = :id AND status = 'active'"
)
_MARK_SENDING = text(
    "UPDATE deliveries SET status = 'sending', changed = :t"
    " WHERE issue_id = :issue AND subscriber_id = :id AND (:me = '' OR claimed_by = :me)"
)


class SendLedger(Tables):
    """The `sends` and `deliveries` tables. Open one per thread (connections are not shared)."""

    def __init__(
        self, target: Store | Path | str | None = None, *, db: Connection | None = None, results: bool = False
    ):
        """`results`: this connection records send results, one commit per message. On PostgreSQL
        its commits then return before the server's WAL flush (`synchronous_commit = off`): the
        guarantee SQLite's `synchronous=NORMAL` gives, safe from any crash or kill of the sender;
        only a crash of the database server itself can forget the last fraction of a second of
        results, which a rerun then sends again."""
        if db is None:
            if target is None:
                raise ValueError("SendLedger needs a store, a path or a connection")
            self.store: Store | None = open_store(target)
            db = self.store.connect()
        else:
            self.store = None
        self.db = db
        pg = db.dialect.name == "postgresql"
        self.skip_locked = " FOR UPDATE SKIP LOCKED" if pg else ""
        if results and pg:
            db.exec_driver_sql("SET synchronous_commit TO off")

    def is_enqueued(self, issue_id: str) -> bool:
        return (
            self.db.execute(text("SELECT 1 FROM sends WHERE issue_id = :i"), {"i": issue_id}).first()
            is not None
        )

    def audience_size(self, language: str, site_language: str) -> int:
        return int(
            self.db.execute(
                text(f"SELECT count(*) FROM subscribers WHERE {audience_sql()}"),
                {"lang": language.lower(), "site_lang": site_language.lower()},
            ).scalar_one()
        )

    def audience(self, language: str, site_language: str, batch: int = 1000) -> Iterator[tuple[str, str]]:
        """(address, name) of the issue's audience, streamed in pages (for a dry run)."""
        last = 0
        params = {"lang": language.lower(), "site_lang": site_language.lower(), "n": batch}
        query = text(
            f"SELECT id, address, name FROM subscribers WHERE id > :last AND {audience_sql()}"
            " ORDER BY id LIMIT :n"
        )
        while True:
            rows = self.db.execute(query, {**params, "last": last}).all()
            if not rows:
                return
            for _, address, name in rows:
                yield address, name
            last = rows[-1][0]

    def enqueue(self, issue_id: str, slug: str, language: str, site_language: str) -> int:
        """Queue the issue for its audience, once: the recipient list is fixed at the first send,
        so a rerun continues it rather than mailing an old issue to people who joined later.
        Returns the number of rows queued now (0 if the issue was queued before, by anyone)."""
        t = now()
        with transaction(self.db):
            # The `sends` row first: a second sender enqueueing at the same moment waits on it
            # and then finds it there, rather than queueing everyone a second time.
            first = self.db.execute(
                text(
                    "INSERT INTO sends (issue_id, slug, enqueued, recipients) VALUES (:issue, :slug, :t, 0)"
                    " ON CONFLICT (issue_id) DO NOTHING"
                ),
                {"issue": issue_id, "slug": slug, "t": t},
            ).rowcount
            if not first:
                return 0
            n = self.db.execute(
                text(
                    "INSERT INTO deliveries (issue_id, subscriber_id, address, status, changed)"
                    f" SELECT :issue, id, address, 'queued', :t FROM subscribers WHERE {audience_sql()}"
                ),
                {"issue": issue_id, "t": t, "lang": language.lower(), "site_lang": site_language.lower()},
            ).rowcount
            self.db.execute(
                text("UPDATE sends SET recipients = :n WHERE issue_id = :issue"), {"n": n, "issue": issue_id}
            )
        return int(n)

    def pending(self, issue_id: str, batch: int = 500) -> Iterator[Recipient]:
        """Rows not yet sent, in subscriber order, in short pages (no read transaction stays open,
        so the WAL can be checkpointed during a long run and memory stays flat)."""
        last = 0
        query = text(
            f"{_SELECT_RECIPIENTS} WHERE d.issue_id = :issue AND d.subscriber_id > :last AND {PENDING}"
            " ORDER BY d.subscriber_id LIMIT :n"
        )
        while True:
            rows = self.db.execute(query, {"issue": issue_id, "last": last, "n": batch}).all()
            if not rows:
                return
            for row in rows:
                yield Recipient(*row)
            last = rows[-1][0]

    # --- claims (several senders of one issue) ----------------------------------------------

    def claim(self, issue_id: str, claimant: str, batch: int, lease: float) -> list[Recipient]:
        """Claim up to `batch` pending rows nobody else holds, for `lease` seconds."""
        t = now()
        with transaction(self.db):
            ids = [
                r[0]
                for r in self.db.execute(
                    text(
                        f"SELECT d.subscriber_id FROM deliveries d WHERE d.issue_id = :issue AND {PENDING}"
                        f" AND {CLAIMABLE} ORDER BY d.subscriber_id LIMIT :n{self.skip_locked}"
                    ),
                    {"issue": issue_id, "now": t, "n": batch},
                )
            ]
            if not ids:
                return []
            self.db.execute(
                text(
                    "UPDATE deliveries SET claimed_by = :me, claim_expires = :exp"
                    " WHERE issue_id = :issue AND subscriber_id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"me": claimant, "exp": _later(lease), "issue": issue_id, "ids": ids},
            )
            rows = self.db.execute(
                text(
                    f"{_SELECT_RECIPIENTS} WHERE d.issue_id = :issue AND d.subscriber_id IN :ids"
                    " ORDER BY d.subscriber_id"
                ).bindparams(bindparam("ids", expanding=True)),
                {"issue": issue_id, "ids": ids},
            ).all()
        return [Recipient(*row) for row in rows]

    def renew(self, issue_id: str, claimant: str, lease: float) -> None:
        """Extend this sender's claims (a live sender's rows are never taken over)."""
        self.db.execute(
            text("UPDATE deliveries SET claim_expires = :exp WHERE issue_id = :issue AND claimed_by = :me"),
            {"exp": _later(lease), "issue": issue_id, "me": claimant},
        )

    def release(self, issue_id: str, claimant: str) -> None:
        """Give back this sender's claims (at the end of a run: what is left is anyone's)."""
        self.db.execute(
            text(
                "UPDATE deliveries SET claimed_by = NULL, claim_expires = NULL"
                " WHERE issue_id = :issue AND claimed_by = :me"
            ),
            {"issue": issue_id, "me": claimant},
        )

    def _holders(self, issue_id: str, claimant: str) -> list[tuple[str, int]]:
        """Other senders with live claims on pending rows, and how many rows each holds."""
        rows = self.db.execute(
            text(
                f"SELECT d.claimed_by, count(*) FROM deliveries d WHERE d.issue_id = :issue AND {PENDING}"
                " AND d.claimed_by IS NOT NULL AND d.claimed_by != :me AND d.claim_expires >= :now"
                " GROUP BY d.claimed_by"
            ),
            {"issue": issue_id, "me": claimant, "now": now()},
        ).all()
        return [(str(r[0]), int(r[1])) for r in rows]

    def release_dead(self, issue_id: str, claimant: str) -> int:
        """Release the claims of senders that were processes on this host and no longer run
        (a SIGKILLed run), so a rerun need not wait for their leases; returns how many."""
        dead = [(other, n) for other, n in self._holders(issue_id, claimant) if _claimant_is_dead(other)]
        for other, _ in dead:
            self.release(issue_id, other)
        return sum(n for _, n in dead)

    def unclaimed_sending(self, issue_id: str) -> int:
        """`sending` rows no live sender holds: left by a run that stopped; they will be resent."""
        return int(
            self.db.execute(
                text(
                    "SELECT count(*) FROM deliveries d WHERE d.issue_id = :issue AND d.status = 'sending'"
                    f" AND {CLAIMABLE}"
                ),
                {"issue": issue_id, "now": now()},
            ).scalar_one()
        )

    def claimed_by_others(self, issue_id: str, claimant: str) -> int:
        """Pending rows other senders hold under a live lease."""
        return sum(n for _, n in self._holders(issue_id, claimant))

    # --- results ------------------------------------------------------------------------------

    def counts(self, issue_id: str) -> LedgerCounts:
        c: dict[str, int] = {}
        for status, failure, n in self.db.execute(
            text(
                "SELECT status, failure, count(*) FROM deliveries WHERE issue_id = :issue"
                " GROUP BY status, failure"
            ),
            {"issue": issue_id},
        ):
            key = f"failed_{failure}" if status == "failed" else status
            c[key] = c.get(key, 0) + n
        return LedgerCounts(**c)

    def record(
        self, outcome: Outcome | None, issue_id: str, next_sending: int | None = None, claimant: str = ""
    ) -> bool:
        """Record one attempt's outcome and mark the next message `sending`, in one commit.

        With a `claimant`, the next message is marked only while its claim is still this
        sender's; False means another sender took it over: do not send it.
        """
        if outcome is None and next_sending is None:
            return True
        t = now()
        ours = True
        with transaction(self.db):
            if outcome is not None:
                params = {
                    "status": outcome.status,
                    "failure": outcome.failure,
                    "reply": outcome.reply[:1000],
                    "message_id": outcome.message_id[:200],
                    "t": t,
                    "issue": issue_id,
                    "id": outcome.subscriber_id,
                }
                self.db.execute(_RECORD, params)
                if outcome.bounce:
                    self.db.execute(_BOUNCE, params)
            if next_sending is not None:
                params = {"t": t, "issue": issue_id, "id": next_sending, "me": claimant}
                ours = self.db.execute(_MARK_SENDING, params).rowcount > 0
        return ours

    def skip(self, issue_id: str, subscriber_id: int, reason: str) -> None:
        self.db.execute(
            text(
                "UPDATE deliveries SET status = 'skipped', reply = :reply, changed = :t"
                " WHERE issue_id = :issue AND subscriber_id = :id"
            ),
            {"reply": reason, "t": now(), "issue": issue_id, "id": subscriber_id},
        )

    def retry_unknown(self, issue_id: str) -> int:
        """Queue again the messages whose delivery is unknown (the operator accepts duplicates)."""
        return int(
            self.db.execute(
                text(
                    "UPDATE deliveries SET status = 'queued', changed = :t"
                    " WHERE issue_id = :issue AND status = 'unknown'"
                ),
                {"t": now(), "issue": issue_id},
            ).rowcount
        )

    def delivered_issues(self) -> set[str]:
        """The ids of the issues of which at least one message was sent (`digest --since last-sent`)."""
        rows = self.db.execute(text("SELECT DISTINCT issue_id FROM deliveries WHERE status = 'sent'"))
        return {r[0] for r in rows}

    def sent_since(self, since: dt.datetime) -> list[dt.datetime]:
        """When messages (of any issue) were sent after `since`, oldest first: the hourly cap's memory."""
        stamp = since.astimezone(dt.UTC).replace(microsecond=0).isoformat()
        return [
            dt.datetime.fromisoformat(r[0])
            for r in self.db.execute(
                text(
                    "SELECT changed FROM deliveries WHERE status = 'sent' AND changed > :s ORDER BY changed"
                ),
                {"s": stamp},
            )
        ]
