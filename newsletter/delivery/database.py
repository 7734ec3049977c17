"""The one SQLite file behind delivery: subscribers and the per-recipient send ledger.

WAL mode lets the sender's worker threads record results while the dispatcher reads the
queue; `synchronous=NORMAL` keeps every commit safe from a crash or a SIGKILL of the process
(the WAL is in the OS's hands once committed) without an fsync per message.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from ..errors import NewsletterError

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    address_key TEXT NOT NULL UNIQUE,          -- lower-cased: de-duplicates case-insensitively
    name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',         -- '' = the site's default edition
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'unsubscribed', 'bounced', 'complained')),
    source TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sends (
    issue_id TEXT PRIMARY KEY,
    slug TEXT NOT NULL,
    enqueued TEXT NOT NULL,
    recipients INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    issue_id TEXT NOT NULL,
    subscriber_id INTEGER NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
    failure TEXT CHECK (failure IN ('temporary', 'permanent')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    changed TEXT NOT NULL,
    PRIMARY KEY (issue_id, subscriber_id)
) WITHOUT ROWID;
"""


def now() -> str:
    """UTC time stamp for the `created`/`changed` columns (state, never build output)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def open_database(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the delivery database; one connection per thread."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(SCHEMA)
    except (OSError, sqlite3.Error) as e:
        raise NewsletterError(f"cannot open the subscriber database: {e}", path=str(path)) from None
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT (the connection is in autocommit mode); rolls back on error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class Store:
    """A store over one database connection: `close()` it, or use it in a `with` block."""

    db: sqlite3.Connection

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
