"""A PostgreSQL server to run against, and fresh databases on it (the benchmarks and the tests).

The server is the one named by NEWSLETTER_TEST_POSTGRES_URL (.ci/postgres.sh starts it in CI);
without it, a throwaway cluster that .ci/postgres.sh starts on a free loopback port for as long
as it is needed, when the server binaries (initdb, pg_ctl) are installed.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
URL_VARIABLE = "NEWSLETTER_TEST_POSTGRES_URL"
SCRIPT = ROOT / ".ci" / "postgres.sh"


class PostgresUnavailable(Exception):
    """No server to run against: neither NEWSLETTER_TEST_POSTGRES_URL nor the binaries to start one."""


def have_server_binaries() -> bool:
    on_path = any(Path(d, "initdb").exists() for d in os.get_exec_path())
    return on_path or any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server (its `postgres` database) that lives until the block ends."""
    if url := os.environ.get(URL_VARIABLE):
        yield url
        return
    if not have_server_binaries():
        raise PostgresUnavailable(f"PostgreSQL ({URL_VARIABLE}, or initdb to start a server)")
    started = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        raise PostgresUnavailable(f"a PostgreSQL cluster: {started.stderr.strip()[-300:]}")
    exported = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if "=" in line
    )
    try:
        yield exported[URL_VARIABLE]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", exported["NEWSLETTER_TEST_POSTGRES_DIR"]], check=False)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database `nl_<random>` on the server; dropped afterwards (its connections ended
    first). Yields its postgresql:// URL."""
    import psycopg

    name = f"nl_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        # FORCE (PostgreSQL 13+) ends the database's sessions as it drops it: a pool of the code
        # under test (a service's background worker) may connect again between a separate
        # pg_terminate_backend and the DROP. A session that still slips in is waited out.
        with psycopg.connect(server_url, autocommit=True) as admin:
            for attempt in range(10):
                try:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    break
                except psycopg.errors.ObjectInUse:
                    if attempt == 9:
                        raise
                    time.sleep(0.2)
