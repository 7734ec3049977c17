"""Schema versions: a new SQLite file is created, `db upgrade` sets up or migrates any other
database, and every command refuses one that is older or newer than the code, in one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from newsletter.store import DATABASE_URL_ENV, SCHEMA_VERSION, open_store
from tests.state import migrated, query

from .conftest import DATA, Cli


def test_a_first_subscriber_creates_the_default_sqlite_state(folder: Path, cli: Cli) -> None:
    assert cli("subscribers", "add", "lila@example.org").exit_code == 0
    assert (folder / "state" / "newsletter.db").is_file()
    status = cli("db", "status")
    assert status.exit_code == 0 and f"schema {SCHEMA_VERSION}, up to date" in status.stdout


def test_an_empty_server_database_asks_for_db_upgrade(
    folder: Path, cli: Cli, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("a new SQLite file is created on first use")
    monkeypatch.setenv(DATABASE_URL_ENV, database_url)
    refused = cli("subscribers", "list")
    assert refused.exit_code == 1
    assert refused.stderr.strip().endswith("no newsletter tables yet; run `newsletter db upgrade`")
    assert "password" not in refused.stderr and "Traceback" not in refused.output
    done = cli("db", "upgrade")
    assert done.exit_code == 0 and f"schema {SCHEMA_VERSION} (created)" in done.stdout
    assert cli("subscribers", "add", "lila@example.org").exit_code == 0
    assert "up to date" in cli("db", "upgrade").stdout


def test_a_database_from_before_versions_is_refused_then_adopted_with_its_rows(
    folder: Path, cli: Cli
) -> None:
    db = folder / "state" / "newsletter.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.executescript((DATA / "store" / "before-versions.sql").read_text())
    refused = cli("subscribers", "list")
    assert refused.exit_code == 1
    assert "made by an older newsletter" in refused.stderr and "`newsletter db upgrade`" in refused.stderr
    assert "adopted" in cli("db", "upgrade").stdout
    listed = cli("subscribers", "list")
    assert listed.stdout.splitlines() == ["lila@example.org\tactive\tde", "omar@example.org\tunsubscribed\t"]
    assert query(folder, "SELECT status, reply, message_id FROM deliveries") == [("sent", "250 ok", "")]
    assert query(folder, "SELECT nonce FROM pending_signups") == [("n0nce",)]


def test_a_newer_database_is_refused_in_one_line(
    folder: Path, cli: Cli, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = migrated(database_url)
    with open_store(url).connect() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    for args in (("subscribers", "list"), ("db", "upgrade"), ("subscribers", "add", "kim@example.org")):
        result = cli(*args)
        assert result.exit_code == 1
        assert "schema 0099 is newer than this newsletter knows" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
