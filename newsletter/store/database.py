"""Where the state lives and how to talk to it: one URL, one engine, one transaction helper.

`NEWSLETTER_DATABASE_URL` selects the backend: `sqlite:///path/to/newsletter.db` or
`postgresql://user:password@host:5432/dbname`; without it the state is the SQLite file at
`[delivery] database`. Every statement is plain SQL through SQLAlchemy Core with named
parameters, the same text on both backends: the two paths are the same code.

Connections run in autocommit mode and `transaction()` issues BEGIN/COMMIT itself, so a read
never holds a transaction open (SQLite's WAL can be checkpointed during a long send) and a
write transaction on SQLite takes the write lock up front (BEGIN IMMEDIATE) instead of failing
halfway with "database is locked". On SQLite, WAL mode lets readers and the writer work side by
side and `synchronous=NORMAL` keeps every commit safe from a crash or SIGKILL of the process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..errors import NewsletterError

if TYPE_CHECKING:
    from ..config import Config

DATABASE_URL_ENV = "NEWSLETTER_DATABASE_URL"
#: How long a writer waits for SQLite's write lock before giving up with a clear line.
SQLITE_BUSY_TIMEOUT = 60.0


def now() -> str:
    """UTC time stamp for `created`/`changed` columns (state, never build output)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def database_url(config: Config) -> str:
    """The state's URL: NEWSLETTER_DATABASE_URL, else the SQLite file at [delivery] database."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    return url or sqlite_url(config.path(config.delivery.database))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _driver_url(url: str) -> URL:
    """The SQLAlchemy URL for a user's URL, or a one-line error naming what is accepted."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    backend = parsed.get_backend_name() if parsed else ""
    if parsed is not None and backend == "sqlite" and parsed.database:
        return parsed.set(drivername="sqlite+pysqlite")
    if parsed is not None and backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    scheme = url.partition(":")[0] or url
    raise NewsletterError(
        f"{DATABASE_URL_ENV}: unsupported database URL {scheme!r}; "
        "use sqlite:///path/to/newsletter.db or postgresql://user@host:5432/dbname"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    with contextlib.suppress(Exception):  # a read-only file: reading works in its current mode
        cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    """One database (SQLite file or PostgreSQL database) and its engine; connections come from here."""

    def __init__(self, url: str):
        self.url = url
        self.sa_url = _driver_url(url)
        self.backend = self.sa_url.get_backend_name()
        if self.backend == "sqlite":
            path = Path(self.sa_url.database or "")
            target = self.sa_url
            if path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
                # A database we may only read (a backup, a mounted copy): opened immutable, so
                # SQLite needs no -shm file beside it; reading works, a write says "read-only".
                target = self.sa_url.set(database=f"file:{path}", query={"immutable": "1", "uri": "true"})
            # NullPool: a closed connection is closed (files can be moved, modes changed, copied).
            self.engine: Engine = create_engine(
                target,
                isolation_level="AUTOCOMMIT",
                poolclass=NullPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False},
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(
                self.sa_url,
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=True,  # a server restart between uses is a new connection, not an error
                connect_args={"connect_timeout": 10, "application_name": "newsletter"},
            )

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server database."""
        return Path(self.sa_url.database or "") if self.is_sqlite else None

    def describe(self) -> str:
        """The URL without its password, for messages and logs."""
        if self.is_sqlite:
            return str(self.path)
        return self.sa_url.set(drivername=self.backend).render_as_string(hide_password=True)

    def connect(self) -> Connection:
        """A new autocommit connection (one per thread; close it when done)."""
        try:
            return self.engine.connect()
        except DBAPIError as e:
            raise database_error(e, self) from None

    def dispose(self) -> None:
        self.engine.dispose()


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def store_for(url: str) -> Store:
    """The process's Store for `url` (one engine, one connection pool per database)."""
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = Store(url)
        return store


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """BEGIN (IMMEDIATE on SQLite) … COMMIT on an autocommit connection; rolls back on error."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.dialect.name == "sqlite" else "BEGIN")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(DBAPIError):  # a lost connection: the server rolled back for us
            conn.exec_driver_sql("ROLLBACK")
        raise
    conn.exec_driver_sql("COMMIT")


def database_error(e: BaseException, store: Store | None = None) -> NewsletterError:
    """One line saying what went wrong with the database and what to do, for any driver error."""
    where = store.describe() if store else "the database"
    orig = getattr(e, "orig", None) or e
    text = " ".join(str(orig).split())
    low = text.lower()
    if "database is locked" in low:
        what = (
            f"the database is locked by another process (waited {SQLITE_BUSY_TIMEOUT:.0f} s); "
            "rerun when it has finished"
        )
    elif "database or disk is full" in low or "no space left" in low or "could not extend file" in low:
        what = "the disk holding the database is full; free some space and rerun (nothing was lost)"
    elif "readonly database" in low or "read-only" in low:
        what = "the database is read-only; make it writable (file and folder) or use a writable copy"
    elif "unable to open database file" in low:
        what = "cannot open the database file; check that its folder exists and is writable"
    elif "file is not a database" in low or "malformed" in low:
        what = "is not a newsletter database (damaged or another file); restore it from a backup"
    elif "password authentication failed" in low or "no password supplied" in low:
        what = f"the server refused the login; check the user and password in {DATABASE_URL_ENV}"
    elif "role" in low and "does not exist" in low:
        what = f"the server knows no such user; check the user name in {DATABASE_URL_ENV}"
    elif "does not exist" in low and "database" in low:
        what = (
            "the database does not exist on the server; create it (createdb) and run `newsletter db upgrade`"
        )
    elif "connection refused" in low or "could not translate host" in low or "timeout expired" in low:
        what = f"cannot reach the database server ({text}); is it running, and is {DATABASE_URL_ENV} right?"
    elif any(
        s in low
        for s in (
            "server closed the connection",
            "terminating connection",
            "connection is closed",
            "consuming input failed",
            "connection is lost",
        )
    ):
        what = (
            f"lost the connection to the database server ({text}); rerun when it is back (nothing was lost)"
        )
    else:
        what = f"database error: {text}"
    return NewsletterError(f"{where}: {what}")


def is_database_error(e: BaseException) -> bool:
    """A failure of the database or of the connection to it (any SQLAlchemy error)."""
    return isinstance(e, SQLAlchemyError)
