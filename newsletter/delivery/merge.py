"""Merge two copies of the state file: what each recorded is kept, nobody is mailed twice.

The publish workflow keeps the state (subscribers, sign-ups, send ledger) on a branch. When the
branch moved while a run was sending (an editor pushed a changed list, another run saved), the
run's copy and the branch's are merged instead of one overwriting the other. The ledger is
append-mostly, so the merge is well defined:

- subscribers, by address (case-insensitive): the row changed last wins; `created` is the earlier;
- pending sign-ups, by address: the one requested last wins;
- sends, by issue: the one enqueued first is kept;
- deliveries, by (issue, address): the most advanced state wins (sent > failed for good or
  skipped > sending, unknown or any state this code does not know > failed for now > queued),
  ties to the one changed last; attempts are the larger count; claims are dropped (no sender of
  either copy runs any more);
- feedback (bounces, complaints), by (report, address, kind, received): added when missing.

Both files are SQLite state files of this schema version (`newsletter db upgrade` brings an older
one up to date); a PostgreSQL state needs no merge: every run writes to the one server.

    python -m newsletter.delivery.merge OURS THEIRS    # merges THEIRS into OURS, in place
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import NewsletterError
from ..store import open_store

_SUBSCRIBER_FIELDS = "address, name, language, status, source, created, changed, reason"
_PENDING_FIELDS = "address_key, address, name, language, nonce, requested, last_sent, sends"
_DELIVERY_FIELDS = "issue_id, address, status, failure, attempts, reply, changed, message_id"
_FEEDBACK_FIELDS = (
    "address, issue_id, kind, severity, status_code, diagnostic, source, received, report, recorded, decision"
)
# How far a delivery got; a state not listed (a newer version's) counts as possibly delivered.
_RANK = {("queued", None): 0, ("failed", "temporary"): 1, ("sending", None): 2}
_POSSIBLY_DELIVERED = 2
_FINAL = {("skipped", None): 3, ("failed", "permanent"): 3, ("sent", None): 4}


def delivery_rank(status: str, failure: str | None) -> int:
    """How far a delivery got: the further one wins a merge."""
    key = (status, failure if status == "failed" else None)
    return _RANK.get(key, _FINAL.get(key, _POSSIBLY_DELIVERED))


@dataclass
class MergeReport:
    subscribers_added: int = 0
    subscribers_updated: int = 0
    deliveries_added: int = 0
    deliveries_advanced: int = 0

    def line(self) -> str:
        return (
            f"merged: {self.subscribers_added} subscriber(s) added, {self.subscribers_updated} updated; "
            f"{self.deliveries_added} delivery row(s) added, {self.deliveries_advanced} advanced"
        )


def merge_state(ours: Path, theirs: Path) -> MergeReport:
    """Merge the state file `theirs` into `ours` (in one transaction); `theirs` is only read."""
    if not theirs.is_file():
        raise NewsletterError("the other state file does not exist", path=str(theirs))
    for path in (ours, theirs):  # both of this code's schema version (a new `ours` is created)
        open_store(path).engine.dispose()
    report = MergeReport()
    try:
        db = sqlite3.connect(ours, timeout=60, isolation_level=None)
    except sqlite3.Error as e:
        raise NewsletterError(f"cannot open the state file: {e}", path=str(ours)) from None
    try:
        db.execute("ATTACH DATABASE ? AS theirs", (str(theirs),))
        db.execute("BEGIN IMMEDIATE")
        try:
            ids = _merge_subscribers(db, report)
            _merge_pending(db)
            db.execute(
                "INSERT OR IGNORE INTO sends (issue_id, slug, enqueued, recipients)"
                " SELECT issue_id, slug, enqueued, recipients FROM theirs.sends"
            )
            db.execute(
                "UPDATE sends SET enqueued = t.enqueued FROM theirs.sends AS t"
                " WHERE sends.issue_id = t.issue_id AND t.enqueued < sends.enqueued"
            )
            _merge_deliveries(db, ids, report)
            _merge_feedback(db, ids)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    except sqlite3.Error as e:
        raise NewsletterError(f"cannot merge the state files: {e}", path=str(ours)) from None
    finally:
        db.close()
    return report


def _merge_subscribers(db: sqlite3.Connection, report: MergeReport) -> dict[int, int]:
    """Their subscriber ids mapped to ours, adding and updating rows as the later change says."""
    ours = {
        key: (id_, changed)
        for id_, key, changed in db.execute("SELECT id, address_key, changed FROM subscribers")
    }
    ids: dict[int, int] = {}
    rows = db.execute(f"SELECT id, address_key, {_SUBSCRIBER_FIELDS} FROM theirs.subscribers").fetchall()
    for their_id, key, address, name, language, status, source, created, changed, reason in rows:
        if key not in ours:
            cur = db.execute(
                f"INSERT INTO subscribers (address_key, {_SUBSCRIBER_FIELDS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, address, name, language, status, source, created, changed, reason),
            )
            ids[their_id] = int(cur.lastrowid or 0)
            report.subscribers_added += 1
            continue
        our_id, our_changed = ours[key]
        ids[their_id] = our_id
        db.execute("UPDATE subscribers SET created = min(created, ?) WHERE id = ?", (created, our_id))
        if changed > our_changed:
            db.execute(
                "UPDATE subscribers SET address = ?, name = ?, language = ?, status = ?, source = ?,"
                " changed = ?, reason = ? WHERE id = ?",
                (address, name, language, status, source, changed, reason, our_id),
            )
            report.subscribers_updated += 1
    return ids


def _merge_pending(db: sqlite3.Connection) -> None:
    db.execute(
        f"INSERT INTO pending_signups ({_PENDING_FIELDS})"
        f" SELECT {_PENDING_FIELDS} FROM theirs.pending_signups WHERE true"
        " ON CONFLICT (address_key) DO UPDATE SET address = excluded.address,"
        " name = excluded.name, language = excluded.language, nonce = excluded.nonce,"
        " requested = excluded.requested, last_sent = excluded.last_sent, sends = excluded.sends"
        " WHERE excluded.requested > pending_signups.requested"
    )


def _merge_deliveries(db: sqlite3.Connection, ids: dict[int, int], report: MergeReport) -> None:
    ours = {
        (issue, sid): (status, failure, changed, attempts)
        for issue, sid, status, failure, changed, attempts in db.execute(
            "SELECT issue_id, subscriber_id, status, failure, changed, attempts FROM deliveries"
        )
    }
    rows = db.execute(f"SELECT subscriber_id, {_DELIVERY_FIELDS} FROM theirs.deliveries").fetchall()
    for their_sid, issue, address, status, failure, attempts, reply, changed, message_id in rows:
        sid = ids.get(their_sid)
        if sid is None:  # a delivery without its subscriber row: the file was edited by hand
            raise NewsletterError(f"the other state file has a delivery of {issue} to an unknown subscriber")
        mine = ours.get((issue, sid))
        if mine is None:
            db.execute(
                f"INSERT INTO deliveries (subscriber_id, {_DELIVERY_FIELDS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, issue, address, status, failure, attempts, reply, changed, message_id),
            )
            report.deliveries_added += 1
            continue
        our_status, our_failure, our_changed, our_attempts = mine
        theirs_rank, ours_rank = delivery_rank(status, failure), delivery_rank(our_status, our_failure)
        if theirs_rank > ours_rank or (theirs_rank == ours_rank and changed > our_changed):
            db.execute(
                "UPDATE deliveries SET status = ?, failure = ?, reply = ?, changed = ?, message_id = ?,"
                " attempts = max(attempts, ?) WHERE issue_id = ? AND subscriber_id = ?",
                (status, failure, reply, changed, message_id, attempts, issue, sid),
            )
            report.deliveries_advanced += theirs_rank > ours_rank
        elif attempts > our_attempts:
            db.execute(
                "UPDATE deliveries SET attempts = ? WHERE issue_id = ? AND subscriber_id = ?",
                (attempts, issue, sid),
            )


def _merge_feedback(db: sqlite3.Connection, ids: dict[int, int]) -> None:
    """Their bounce and complaint records that ours lacks, with subscriber ids mapped to ours."""
    ours = set(db.execute("SELECT report, address, kind, received FROM feedback"))
    rows = db.execute(f"SELECT subscriber_id, {_FEEDBACK_FIELDS} FROM theirs.feedback").fetchall()
    for their_sid, *fields in rows:
        address, kind, received, report = fields[0], fields[2], fields[7], fields[8]
        if (report, address, kind, received) in ours:
            continue
        db.execute(
            f"INSERT INTO feedback (subscriber_id, {_FEEDBACK_FIELDS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ids.get(their_sid) if their_sid is not None else None, *fields),
        )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m newsletter.delivery.merge OURS THEIRS", file=sys.stderr)
        return 2
    try:
        report = merge_state(Path(args[0]), Path(args[1]))
    except NewsletterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(report.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
