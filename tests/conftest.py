"""Shared fixtures: a throwaway newsletter folder built from the repo's config and templates."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str) -> None:
    """Skip locally, fail in CI: a test that needs a browser or server never passes silently."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing; .ci/run must install it")
    pytest.skip(f"{what} is missing")


@pytest.fixture
def make_newsletter(tmp_path: Path) -> Callable[[Iterable[Path]], Path]:
    """A newsletter folder in tmp: the repo's newsletter.toml and templates, and the given issues."""

    def make(issues: Iterable[Path]) -> Path:
        root = tmp_path / "news"
        (root / "issues").mkdir(parents=True)
        shutil.copy(ROOT / "newsletter.toml", root / "newsletter.toml")
        shutil.copytree(ROOT / "templates", root / "templates")
        for issue in issues:
            shutil.copy(issue, root / "issues" / issue.name)
        return root

    return make


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder`."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# The databases the store runs on: every test that takes `database_url` runs once per backend.
POSTGRES_URL_VARIABLE = "NEWSLETTER_TEST_POSTGRES_URL"


def _postgres_binaries() -> bool:
    return any(Path(d, "initdb").exists() for d in os.get_exec_path()) or any(
        Path("/usr/lib/postgresql").glob("*/bin/initdb")
    )


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server to make test databases on: the one .ci/postgres.sh started in CI
    (NEWSLETTER_TEST_POSTGRES_URL), else a throwaway cluster started here for this test run when the
    server binaries are installed; skipped locally (failed in CI) without either."""
    if url := os.environ.get(POSTGRES_URL_VARIABLE):
        yield url
        return
    require(_postgres_binaries(), f"PostgreSQL ({POSTGRES_URL_VARIABLE}, or initdb to start one)")
    script = ROOT / ".ci" / "postgres.sh"
    started = subprocess.run(["bash", script], capture_output=True, text=True, check=False)
    require(started.returncode == 0, f"a PostgreSQL cluster ({started.stderr.strip()[-300:]})")
    exported = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if "=" in line
    )
    try:
        yield exported[POSTGRES_URL_VARIABLE]
    finally:
        subprocess.run(["bash", script, "stop", exported["NEWSLETTER_TEST_POSTGRES_DIR"]], check=False)


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database `nl_<random>` on the server; dropped afterwards (its connections ended
    first). Yields its postgresql:// URL."""
    try:
        import psycopg
    except ImportError:
        require(False, "the psycopg package")
    name = f"nl_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A NEWSLETTER_DATABASE_URL for an empty state, once per backend: an SQLite file in tmp_path,
    or a fresh database on the test PostgreSQL server (dropped after the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/state.db"
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_server_url")) as url:
        yield url
