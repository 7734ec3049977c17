"""Database trouble is one clear line and a non-zero exit, never a traceback: an unknown URL, a
server that is not there or does not know the user, a read-only or locked file, a full disk."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.measure import free_port
from newsletter.store import DATABASE_URL_ENV
from newsletter.store import database as store_database

from .conftest import Cli


def _one_line(result: object, *expected: str) -> None:
    assert result.exit_code == 1  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert "Traceback" not in err and all(e in err for e in expected), err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://news@localhost/news", "unsupported database URL 'mysql'"),
        ("newsletter.db", "unsupported database URL"),
        ("sqlite://", "unsupported database URL 'sqlite'"),
    ],
)
def test_an_unknown_url_is_one_line(
    folder: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    _one_line(cli("subscribers", "list"), expected, "postgresql://")


def test_an_unreachable_server_is_one_line_without_the_password(
    folder: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, f"postgresql://news:s3cret@127.0.0.1:{free_port()}/news")
    result = cli("subscribers", "add", "lila@example.org")
    _one_line(result, "cannot reach the database server")
    assert "s3cret" not in result.output


def test_an_unknown_user_or_database_is_one_line(
    folder: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, postgres_server_url: str
) -> None:
    server = urlsplit(postgres_server_url)
    monkeypatch.setenv(DATABASE_URL_ENV, f"postgresql://nobody:pw@{server.netloc.split('@')[-1]}/postgres")
    _one_line(cli("subscribers", "list"), "knows no such user")
    monkeypatch.setenv(DATABASE_URL_ENV, server._replace(path="/no_such_db").geturl())
    _one_line(cli("subscribers", "list"), "database does not exist", "newsletter db upgrade")


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user may read (the read-only test runs its command as `nobody` under root)."""
    folder = Path(tempfile.mkdtemp(prefix="newsletter-ro-"))
    folder.chmod(0o755)
    yield folder
    for p in (folder, *folder.rglob("*")):
        p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(folder)


def _as_reader(cli: Cli, *args: str) -> tuple[int, str, str]:
    """`newsletter …` in a forked child that may not write the state: as `nobody` when the tests
    run as root (root writes anything). Forked, so the code is loaded already; returns
    (exit code, stdout, stderr)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 70
        try:
            os.close(read)
            if os.getuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            result = cli(*args)
            os.write(write, json.dumps([result.exit_code, result.stdout, result.stderr]).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    code, out, err = json.loads(data)
    return int(code), str(out), str(err)


def test_a_read_only_database_lists_and_refuses_changes_in_one_line(
    folder: Path, cli: Cli, shared_folder: Path
) -> None:
    root = shared_folder / "news"
    shutil.copytree(folder, root)
    os.chdir(root)
    assert cli("subscribers", "add", "lila@example.org", "--language", "de").exit_code == 0
    for p in (root / "state", *(root / "state").iterdir()):
        p.chmod(0o555 if p.is_dir() else 0o444)
    for p in (root, shared_folder):
        p.chmod(0o755)
    store_database._stores.clear()  # as in a new process
    code, out, err = _as_reader(cli, "subscribers", "list")
    assert code == 0 and out == "lila@example.org\tactive\tde\n", err
    code, out, err = _as_reader(cli, "subscribers", "add", "kim@example.org")
    assert code == 1 and err.count("\n") == 1, err
    assert "the database is read-only" in err and "Traceback" not in err


def test_a_locked_database_is_one_line(folder: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_database, "SQLITE_BUSY_TIMEOUT", 0.2)
    assert cli("subscribers", "add", "lila@example.org").exit_code == 0
    store_database._stores.clear()  # a new process: the short timeout applies
    holder = sqlite3.connect(folder / "state" / "newsletter.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing, and does not finish
    try:
        _one_line(cli("subscribers", "remove", "lila@example.org", "--forget"), "locked by another process")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
