"""The state a test runs on: the default SQLite file, or a PostgreSQL database by NEWSLETTER_DATABASE_URL.

`use_backend` takes the `database_url` fixture (tests/conftest.py): for SQLite the newsletter keeps
its default file (state/newsletter.db, created on first use, as for a new user); for PostgreSQL the
environment points every command, subprocess and the service at the fresh database, migrated.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from newsletter.store import DATABASE_URL_ENV, open_store, upgrade
from newsletter.store.database import sqlite_url


def migrated(database_url: str) -> str:
    """`database_url` with the schema in place (a new SQLite file is created on first use)."""
    if not database_url.startswith("sqlite"):
        upgrade(open_store(database_url, check=False))
    return database_url


def use_backend(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if database_url.startswith("sqlite"):
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
        return
    monkeypatch.setenv(DATABASE_URL_ENV, migrated(database_url))


def state_url(root: Path) -> str:
    """Where the newsletter in `root` keeps its state now."""
    return os.environ.get(DATABASE_URL_ENV) or sqlite_url(root / "state" / "newsletter.db")


def query(root: Path, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of one SQL statement on the newsletter's state (committed at once)."""
    with open_store(state_url(root), check=False).connect() as db:
        result = db.execute(text(sql), params)
        return [tuple(r) for r in result] if result.returns_rows else []
