"""`newsletter db copy`: a whole state from one database to another (SQLite ⇄ PostgreSQL), verified.

The target must be at this code's schema version and empty: a copy never merges two lists. Rows
are streamed in primary-key order in batches, all in one transaction on the target, so memory
stays flat and a failed copy leaves the target as it was. Afterwards each table's row count and
a digest of its rows are compared on both sides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Table, func, select, text

from ..errors import NewsletterError
from .database import Store, transaction
from .schema import TABLES
from .versions import check_schema, current_version, upgrade

BATCH = 5000


@dataclass(frozen=True)
class TableCopy:
    name: str
    rows: int


def _ordered(table: Table) -> list:  # type: ignore[type-arg]
    return list(table.primary_key.columns) or list(table.columns)


def _rows(table: Table) -> Select[Any]:
    """Every row in primary-key order, fetched in batches (a server-side cursor on PostgreSQL)."""
    return select(table).order_by(*_ordered(table)).execution_options(yield_per=BATCH)


def _digest(conn: Connection, table: Table) -> tuple[int, str]:
    """Row count and a digest of every row, in primary-key order (the same on both backends)."""
    h = hashlib.sha256()
    n = 0
    result = conn.execute(_rows(table))
    for row in result:
        h.update(repr(tuple(row)).encode())
        n += 1
    return n, h.hexdigest()


@contextmanager
def _snapshot(conn: Connection) -> Iterator[Connection]:
    """One read transaction: the source's tables as of one moment, however long the copy takes."""
    pg = conn.dialect.name == "postgresql"
    conn.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if pg else "BEGIN")
    try:
        yield conn
    finally:
        conn.exec_driver_sql("ROLLBACK")


def copy_state(source: Store, target: Store) -> list[TableCopy]:
    """Copy every table from `source` to the empty `target`; returns the rows per table."""
    check_schema(source)
    if current_version(target) == "":
        upgrade(target)  # an empty database: copying into it is the request to set it up
    check_schema(target)
    copied: list[TableCopy] = []
    with source.connect() as src, target.connect() as dst:
        for table in TABLES:
            if dst.execute(select(func.count()).select_from(table)).scalar_one():
                raise NewsletterError(
                    f"{target.describe()}: the target already holds {table.name}; "
                    "copy into an empty database (a copy never merges two states)"
                )
        with _snapshot(src), transaction(dst):
            for table in TABLES:
                n = 0
                result = src.execute(_rows(table))
                for rows in result.partitions(BATCH):
                    dst.execute(table.insert(), [dict(r._mapping) for r in rows])
                    n += len(rows)
                copied.append(TableCopy(table.name, n))
            if target.backend == "postgresql":  # ids were copied: move the sequences past them
                for table in TABLES:
                    if "id" in table.c and table.c.id.primary_key:
                        dst.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                                f" coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                            )
                        )
        with _snapshot(src), _snapshot(dst):
            differs = [t.name for t in TABLES if _digest(src, t) != _digest(dst, t)]
        for name in differs:
            if name:
                raise NewsletterError(
                    f"{target.describe()}: {name} differs from the source after the copy; "
                    "the target is not usable: drop it and copy again"
                )
    return copied
