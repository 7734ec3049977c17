"""The `database_url` fixture: one empty state per backend, a fresh PostgreSQL database per test."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from bench.postgres import fresh_database


def test_each_backend_gets_an_empty_state(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        assert path.is_absolute() and path.parent == tmp_path and not path.exists()
        return
    assert database_url.startswith("postgresql://")
    with psycopg.connect(database_url) as db:
        name = db.execute("SELECT current_database()").fetchone()
        tables = db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        db.execute("CREATE TABLE probe (n integer)")  # ours to write to
    assert name == (urlsplit(database_url).path.lstrip("/"),) and name[0].startswith("nl_")
    assert tables == (0,)


def test_a_postgres_database_is_dropped_after_use_even_with_connections_open(
    postgres_server_url: str,
) -> None:
    with fresh_database(postgres_server_url) as url:
        name = urlsplit(url).path.lstrip("/")
        left_open = psycopg.connect(url)  # a service that never closed its pool
    with psycopg.connect(postgres_server_url) as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None
    with pytest.raises(psycopg.OperationalError):
        left_open.execute("SELECT 1")  # ended by the drop
    left_open.close()
