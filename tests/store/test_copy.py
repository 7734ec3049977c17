"""`newsletter db copy --to URL`: the whole state, SQLite → the backend under test → SQLite, verified."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from newsletter.store import DATABASE_URL_ENV
from tests.state import query

from .conftest import DATA, Cli


def _state(folder: Path, cli: Cli) -> None:
    db = folder / "state" / "newsletter.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.executescript((DATA / "store" / "before-versions.sql").read_text())
    assert cli("db", "upgrade").exit_code == 0


def test_a_state_goes_there_and_back_unchanged(
    folder: Path, cli: Cli, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _state(folder, cli)
    tables = ("subscribers", "pending_signups", "sends", "deliveries", "feedback")
    before = {t: query(folder, f"SELECT * FROM {t}") for t in tables}
    there = cli("db", "copy", "--to", database_url)
    assert there.exit_code == 0, there.output
    counts = ["subscribers: 2", "pending_signups: 1", "sends: 1", "deliveries: 1", "feedback: 0"]
    assert there.stdout.splitlines()[:5] == [f"{c} rows" for c in counts]
    assert there.stdout.splitlines()[-1].endswith("verified")

    monkeypatch.setenv(DATABASE_URL_ENV, database_url)  # from now on the state is the copy
    assert cli("subscribers", "add", "ana@example.org").exit_code == 0  # ids continue after the copied ones
    assert query(folder, "SELECT id FROM subscribers WHERE address = 'ana@example.org'") == [(3,)]
    assert cli("subscribers", "remove", "ana@example.org", "--forget").exit_code == 0

    back = tmp_path / "back.db"
    assert cli("db", "copy", "--to", f"sqlite:///{back}").exit_code == 0
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{back}")
    assert {t: query(folder, f"SELECT * FROM {t}") for t in tables} == before


def test_a_copy_never_merges_into_a_used_database(folder: Path, cli: Cli, tmp_path: Path) -> None:
    _state(folder, cli)
    target = f"sqlite:///{tmp_path / 'other.db'}"
    assert cli("db", "copy", "--to", target).exit_code == 0
    again = cli("db", "copy", "--to", target)
    assert again.exit_code == 1
    assert "the target already holds subscribers; copy into an empty database" in again.stderr
