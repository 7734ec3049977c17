"""`newsletter report ISSUE`: what the mail system said about one issue, per edition.

Only what the mail system itself reports (accepted, deferred, bounced, complained) and what
the subscribers did (unsubscribed): no opens, no clicks. The complaint rate is measured against
the mailbox providers' thresholds (Gmail, 2024: keep it under 0.3%, aim for under 0.1%); above
the upper one, the next issue is not sent unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from ..errors import NewsletterError
from ..store import Store, open_store

if TYPE_CHECKING:
    from ..config import Config

WARN_RATE = 0.001
REFUSE_RATE = 0.003


@dataclass(frozen=True)
class EditionCounts:
    edition: str  # the subscribers' language ('' = the site's default)
    recipients: int = 0
    sent: int = 0
    deferred: int = 0  # temporary failures, still retried
    hard_bounced: int = 0  # refused while sending, or bounced hard later
    soft_bounced: int = 0
    complained: int = 0
    unsubscribed: int = 0  # since the issue was queued

    def __add__(self, other: EditionCounts) -> EditionCounts:
        return EditionCounts("all", *(getattr(self, f) + getattr(other, f) for f in COUNTS))

    @property
    def complaint_rate(self) -> float:
        return self.complained / self.sent if self.sent else 0.0


COUNTS = ("recipients", "sent", "deferred", "hard_bounced", "soft_bounced", "complained", "unsubscribed")


@dataclass
class IssueReport:
    issue_id: str
    slug: str
    enqueued: str
    editions: list[EditionCounts] = field(default_factory=list)

    @property
    def total(self) -> EditionCounts:
        total = EditionCounts("all")
        for e in self.editions:
            total = total + e
        return total

    def verdict(self) -> str:
        """'ok', 'warn' (above 0.1%) or 'refuse' (above 0.3%: the next issue waits)."""
        rate = self.total.complaint_rate
        return "refuse" if rate > REFUSE_RATE else "warn" if rate > WARN_RATE else "ok"

    def lines(self) -> list[str]:
        head = f"{'edition':<8} " + " ".join(f"{c.replace('_', ' '):>13}" for c in COUNTS)
        rows = [head]
        for e in [*self.editions, self.total] if len(self.editions) > 1 else self.editions:
            rows.append(f"{e.edition or '-':<8} " + " ".join(f"{getattr(e, c):>13}" for c in COUNTS))
        rate = self.total.complaint_rate
        note = {
            "ok": "under 0.1%",
            "warn": "above 0.1%: mailbox providers start to notice; look at who complained and why",
            "refuse": "above 0.3%: the next issue is not sent unless forced (--force)",
        }[self.verdict()]
        rows.append(f"complaint rate {rate:.2%} ({self.total.complained} of {self.total.sent} sent): {note}")
        return rows


def issue_report(target: Config | Store | Path | str, issue_id: str, slug: str = "") -> IssueReport:
    """The report of one queued issue, or NewsletterError if it was never sent."""
    with open_store(target).connect() as db:
        return _report(db, issue_id, slug)


def _count(condition: str) -> str:
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _report(db: Connection, issue_id: str, slug: str) -> IssueReport:
    row = db.execute(text("SELECT slug, enqueued FROM sends WHERE issue_id = :i"), {"i": issue_id}).first()
    if row is None:
        raise NewsletterError(f"issue {slug or issue_id!r} was never sent; nothing to report")
    report = IssueReport(issue_id, row[0], row[1])
    feedback = (
        "EXISTS (SELECT 1 FROM feedback f WHERE f.issue_id = d.issue_id"
        " AND f.subscriber_id = d.subscriber_id AND {})"
    )
    hard = feedback.format("f.kind = 'bounce' AND f.severity = 'hard'")
    soft = feedback.format("f.kind = 'bounce' AND f.severity = 'soft'")
    columns = [
        "d.status = 'sent'",
        "d.status = 'failed' AND d.failure = 'temporary'",
        f"(d.status = 'failed' AND d.failure = 'permanent') OR {hard}",
        f"NOT {hard} AND {soft}",
        feedback.format("f.kind = 'complaint'"),
        "s.status = 'unsubscribed' AND s.changed >= :enqueued",
    ]
    rows = db.execute(
        text(
            f"SELECT s.language, count(*), {', '.join(_count(c) for c in columns)}"
            " FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
            " WHERE d.issue_id = :issue GROUP BY s.language ORDER BY s.language"
        ),
        {"issue": issue_id, "enqueued": row[1]},
    ).all()
    report.editions = [EditionCounts(r[0], *(int(n or 0) for n in r[1:])) for r in rows]
    return report


def complaint_gate(
    target: Config | Store | Path | str, *, issue_id: str | None = None, force: bool = False
) -> str | None:
    """Before a new issue goes out: None if sending may go on; NewsletterError if the last issue's
    complaint rate is above 0.3% (unless `force`); a warning line above 0.1%. An issue already
    queued (`issue_id`) is being finished, not started: it always may go on."""
    with open_store(target).connect() as db:
        if issue_id and db.execute(text("SELECT 1 FROM sends WHERE issue_id = :i"), {"i": issue_id}).first():
            return None
        last = db.execute(
            text("SELECT issue_id FROM sends ORDER BY enqueued DESC, issue_id DESC LIMIT 1")
        ).first()
        if last is None:
            return None
        report = _report(db, last[0], "")
    verdict, total = report.verdict(), report.total
    if verdict == "ok":
        return None
    line = (
        f"the complaint rate of {report.slug} is {total.complaint_rate:.2%} "
        f"({total.complained} of {total.sent}); mailbox providers want it under "
        f"{REFUSE_RATE:.1%} and better under {WARN_RATE:.1%}"
    )
    if verdict == "refuse" and not force:
        raise NewsletterError(
            f"{line}: not sending a new issue. See `newsletter report {report.slug}`; "
            "send anyway with --force"
        )
    return f"warning: {line}"
