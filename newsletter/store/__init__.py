"""The newsletter's state: subscribers, pending sign-ups, the send ledger, delivery feedback.

One storage layer, two backends: SQLite (the default, `state/newsletter.db`) and PostgreSQL
(shared by the web service and any number of senders), chosen by `NEWSLETTER_DATABASE_URL`.

    store = open_store(config)        # or open_store("postgresql://…"), open_store(Path("x.db"))
    with store.connect() as conn: …

`open_store` checks the schema version (see versions.py) and creates a brand-new SQLite file;
`newsletter db upgrade` / `db copy` / `db status` are the operator's side (newsletter/cli/db.py).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, text

from .database import (
    DATABASE_URL_ENV,
    Store,
    database_error,
    database_url,
    is_database_error,
    now,
    sqlite_url,
    store_for,
    transaction,
)
from .schema import SCHEMA_VERSION
from .versions import check_schema, current_version, upgrade

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "DATABASE_URL_ENV",
    "SCHEMA_VERSION",
    "Store",
    "Tables",
    "check_schema",
    "current_version",
    "database_error",
    "database_url",
    "is_database_error",
    "now",
    "open_store",
    "transaction",
    "upgrade",
]


def open_store(target: Config | str | Path | Store, *, check: bool = True) -> Store:
    """The Store for a config (NEWSLETTER_DATABASE_URL or [delivery] database), a URL or a
    SQLite path; its schema checked against this code's (a new SQLite file is created)."""
    if isinstance(target, Store):
        return target
    if isinstance(target, Path):
        url = sqlite_url(target)
    elif isinstance(target, str):
        url = target
    else:
        url = database_url(target)
    store = store_for(url)
    if store.path is not None and not store.path.exists():
        with contextlib.suppress(OSError):  # else connecting says what is wrong, in one line
            store.path.parent.mkdir(parents=True, exist_ok=True)
    if check:
        check_schema(store, create=store.is_sqlite)
    return store


class Tables:
    """A typed layer over some tables, on one connection of its own (open one per thread:
    connections are not shared); `with` closes it."""

    def __init__(self, target: Config | Store | Path | str | None = None, *, db: Connection | None = None):
        if db is None:
            if target is None:
                raise ValueError(f"{type(self).__name__} needs a config, a store, a path or a connection")
            db = open_store(target).connect()
        self.db = db

    def _run(self, sql: str, **params: object) -> Any:  # a CursorResult; rows are plain tuples
        return self.db.execute(text(sql), params)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
