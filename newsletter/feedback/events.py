"""What a mail system reported about one recipient: the one type every feedback source produces."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("bounce", "complaint", "delivery")
SEVERITIES = ("hard", "soft")


@dataclass(frozen=True)
class FeedbackEvent:
    """One report about one recipient: a bounce (hard: the address is dead; soft: try later), a
    complaint (the person marked a message as spam), or a delivery.

    `address` is what the report names; `verp` the bounce token of the address the report came
    back to, checked before anything trusts it (record.py). `status` is the enhanced status code
    (5.1.1) of a bounce or the feedback type (abuse) of a complaint; `diagnostic` the server's
    words. `source` says where the report was read (a mailbox and message, or a webhook), and
    `received` when it was written (ISO 8601, UTC).
    """

    kind: str
    address: str
    severity: str = "hard"
    issue_id: str = ""
    status: str = ""
    diagnostic: str = ""
    source: str = ""
    received: str = ""
    verp: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.severity not in SEVERITIES:
            raise ValueError(f"bad feedback event: kind {self.kind!r}, severity {self.severity!r}")
