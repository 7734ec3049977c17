"""The first versioned schema: subscribers, sign-ups, the send ledger with claims, feedback.

A database from before schema versions (the same tables without `alembic_version`) is adopted:
its tables are renamed, the new ones created, the rows copied over and the old tables dropped.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LEGACY = ("subscribers", "pending_signups", "sends", "deliveries")


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    adopted = [name for name in LEGACY if name in existing]
    op.execute("DROP INDEX IF EXISTS pending_signups_requested")
    for name in adopted:
        op.rename_table(name, f"legacy_{name}")
    # The tables as this revision defines them (a later revision must not change these).
    metadata.create_all(bind)
    for name in adopted:
        old = {c["name"] for c in sa.inspect(bind).get_columns(f"legacy_{name}")}
        columns = ", ".join(c.name for c in metadata.tables[name].columns if c.name in old)
        op.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM legacy_{name}")
        op.drop_table(f"legacy_{name}")


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
