"""The tables of a newsletter's state, one definition for SQLite and PostgreSQL.

Time stamps are ISO 8601 UTC text (`2026-01-02T03:04:05+00:00`): they sort as text on both
backends and copy between them unchanged. The schema's version is the Alembic revision in
`alembic_version`; `SCHEMA_VERSION` is the one this code was written for.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, MetaData, PrimaryKeyConstraint, Table, Text

#: The Alembic revision this code reads and writes (migrations/versions/ ends with it).
SCHEMA_VERSION = "0001"

metadata = MetaData()

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("address", Text, nullable=False),
    Column("address_key", Text, nullable=False, unique=True),  # lower-cased: case-insensitive de-duplication
    Column("name", Text, nullable=False, server_default=""),
    Column("language", Text, nullable=False, server_default=""),  # '' = the site's default edition
    Column("status", Text, nullable=False, server_default="active"),
    Column("source", Text, nullable=False, server_default=""),
    Column("created", Text, nullable=False),
    Column("changed", Text, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),  # why bounced/complained, for suppression
    CheckConstraint(
        "status IN ('active', 'unsubscribed', 'bounced', 'complained')", name="ck_subscribers_status"
    ),
)

sends = Table(
    "sends",
    metadata,
    Column("issue_id", Text, primary_key=True),
    Column("slug", Text, nullable=False),
    Column("enqueued", Text, nullable=False),
    Column("recipients", Integer, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("issue_id", Text, nullable=False),
    Column("subscriber_id", Integer, nullable=False),
    Column("address", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="queued"),
    Column("failure", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("reply", Text, nullable=False, server_default=""),
    Column("changed", Text, nullable=False),
    Column("message_id", Text, nullable=False, server_default=""),  # the transport's id (queue id, SES id)
    Column("claimed_by", Text),  # the sender working on this row, until claim_expires
    Column("claim_expires", Text),
    PrimaryKeyConstraint("issue_id", "subscriber_id"),
    CheckConstraint(
        "status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'unknown')", name="ck_deliveries_status"
    ),
    CheckConstraint("failure IN ('temporary', 'permanent')", name="ck_deliveries_failure"),
    sqlite_with_rowid=False,
)
Index("deliveries_sent", deliveries.c.status, deliveries.c.changed)

pending_signups = Table(
    "pending_signups",
    metadata,
    Column("address_key", Text, primary_key=True),  # lower-cased, as subscribers.address_key
    Column("address", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("language", Text, nullable=False, server_default=""),
    Column("nonce", Text, nullable=False),  # carried by the confirmation links of this sign-up
    Column("requested", Text, nullable=False),  # latest request that sent a mail; expires with its link
    Column("last_sent", Text, nullable=False, server_default=""),  # for the resend pause
    Column("sends", Integer, nullable=False, server_default="0"),  # confirmation mails sent
    sqlite_with_rowid=False,
)
Index("pending_signups_requested", pending_signups.c.requested)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("address", Text, nullable=False),
    Column("subscriber_id", Integer),
    Column("issue_id", Text),
    Column("kind", Text, nullable=False),
    Column("severity", Text, nullable=False, server_default=""),
    Column("status_code", Text, nullable=False, server_default=""),
    Column("diagnostic", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False, server_default=""),
    Column("received", Text, nullable=False),
    Column("report", Text, nullable=False, server_default=""),  # the message it came in: recorded once
    Column("recorded", Text, nullable=False, server_default=""),
    Column("decision", Text, nullable=False, server_default=""),  # suppressed, counted, unknown address…
    CheckConstraint("kind IN ('bounce', 'complaint', 'delivery')", name="ck_feedback_kind"),
    CheckConstraint("severity IN ('', 'hard', 'soft')", name="ck_feedback_severity"),
)
Index("feedback_address", feedback.c.address)
Index("feedback_subscriber", feedback.c.subscriber_id, feedback.c.received)
Index("feedback_report", feedback.c.report)

#: Copy order for `db copy`: referenced tables first.
TABLES = (subscribers, pending_signups, sends, deliveries, feedback)
