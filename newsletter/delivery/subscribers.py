"""The subscriber list: who gets the newsletter, in which language, and whether they still want it.

Addresses are validated with email-validator (syntax only, no DNS look-ups) and stored in their
ASCII form; de-duplication is case-insensitive. Nobody is ever resurrected: importing an address
that unsubscribed or bounced leaves its status alone.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from email_validator import EmailNotValidError, validate_email

from ..errors import NewsletterError
from .database import now, open_database, transaction

STATUSES = ("active", "unsubscribed", "bounced", "complained")
EXPORT_FIELDS = ("email", "name", "language", "status", "created", "changed", "source")


@dataclass(frozen=True)
class Subscriber:
    id: int
    address: str
    name: str
    language: str
    status: str
    source: str = ""
    created: str = ""
    changed: str = ""


@dataclass
class ImportReport:
    """What `import_csv` did; `errors` are one line each, naming file and line."""

    added: int = 0
    existing: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def normalize_address(address: str) -> str:
    """The address in the form we store and send to, or NewsletterError saying what is wrong."""
    if any(ord(c) < 32 or c == "\x7f" for c in address):
        raise NewsletterError(f"invalid address {address!r}: contains a line break or control character")
    try:
        # No SMTPUTF8: every address must be sendable by any server; IDN domains become punycode.
        valid = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as e:
        raise NewsletterError(f"invalid address {address!r}: {e}") from None
    return str(valid.ascii_email or valid.normalized)


def normalize_name(name: str) -> str:
    """A display name; CR/LF or control characters (header injection) are refused, not stripped."""
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        raise NewsletterError(f"invalid name {name!r}: contains a line break or control character")
    return " ".join(name.split())


def normalize_language(language: str) -> str:
    lang = language.strip().lower().replace("_", "-")
    if lang and not all(part.isalnum() and part.isascii() for part in lang.split("-")):
        raise NewsletterError(f"invalid language {language!r}: use a code like 'de' or 'fr'")
    return lang


class SubscriberList:
    """The `subscribers` table; a thin, typed layer the CLI and the sender share."""

    def __init__(self, path: Path | None = None, *, db: sqlite3.Connection | None = None):
        if db is None:
            if path is None:
                raise ValueError("SubscriberList needs a path or a connection")
            db = open_database(path)
        self.db = db

    def close(self) -> None:
        self.db.close()

    def add(self, address: str, name: str = "", language: str = "", source: str = "cli") -> bool:
        """Subscribe `address`; True if new. An existing address that unsubscribed is re-activated
        only by an explicit `add` (the person asked again), never by an import."""
        addr = normalize_address(address)
        name, language = normalize_name(name), normalize_language(language)
        t = now()
        cur = self.db.execute(
            "INSERT INTO subscribers (address, address_key, name, language, status, source, created, changed)"
            " VALUES (?, ?, ?, ?, 'active', ?, ?, ?) ON CONFLICT (address_key) DO NOTHING",
            (addr, addr.lower(), name, language, source, t, t),
        )
        if cur.rowcount:
            return True
        self.db.execute(
            "UPDATE subscribers SET status = 'active', changed = ?,"
            " name = CASE WHEN ? != '' THEN ? ELSE name END,"
            " language = CASE WHEN ? != '' THEN ? ELSE language END WHERE address_key = ?",
            (t, name, name, language, language, addr.lower()),
        )
        return False

    def set_status(self, address: str, status: str) -> bool:
        """Change a subscriber's status; False if the address is not on the list."""
        if status not in STATUSES:
            raise NewsletterError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        cur = self.db.execute(
            "UPDATE subscribers SET status = ?, changed = ? WHERE address_key = ?",
            (status, now(), address.strip().lower()),
        )
        return cur.rowcount > 0

    def forget(self, address: str) -> bool:
        """Delete every trace of `address` (subscriber row and ledger rows), e.g. for an erasure request."""
        key = address.strip().lower()
        with transaction(self.db):
            row = self.db.execute("SELECT id FROM subscribers WHERE address_key = ?", (key,)).fetchone()
            if not row:
                return False
            self.db.execute("DELETE FROM deliveries WHERE subscriber_id = ?", (row[0],))
            self.db.execute("DELETE FROM subscribers WHERE id = ?", (row[0],))
        return True

    def get(self, address: str) -> Subscriber | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM subscribers WHERE address_key = ?", (address.strip().lower(),)
        ).fetchone()
        return Subscriber(*row) if row else None

    def __iter__(self) -> Iterator[Subscriber]:
        return self.stream()

    def stream(self, status: str | None = None, batch: int = 1000) -> Iterator[Subscriber]:
        """All subscribers in id order, streamed in pages so 100,000 rows never sit in memory."""
        last = 0
        while True:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE id > ? AND (? IS NULL OR status = ?)"
                " ORDER BY id LIMIT ?",
                (last, status, status, batch),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Subscriber(*row)
            last = rows[-1][0]

    def count(self, status: str | None = None) -> int:
        return int(
            self.db.execute(
                "SELECT count(*) FROM subscribers WHERE ? IS NULL OR status = ?", (status, status)
            ).fetchone()[0]
        )

    def longest_address(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(length(address)), 0) FROM subscribers").fetchone()[0])

    def import_csv(self, path: Path, source: str | None = None) -> ImportReport:
        """Import a CSV with a header row: `email` (required), `name`, `language` (optional).

        A bad row is reported with its line number and skipped; the rest is imported in one
        transaction. A file that is not a readable CSV with an `email` column is an error.
        """
        p = str(path)
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise NewsletterError(f"cannot read the file: {e.strerror}", path=p) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            raise NewsletterError("is not UTF-8 text; save the CSV as UTF-8", path=p, line=line) from None
        if "\0" in text:
            raise NewsletterError("is not a CSV file (it contains NUL bytes)", path=p)
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        report = ImportReport()
        try:
            header = next(reader, None)
        except csv.Error as e:
            raise NewsletterError(f"malformed CSV header: {e}", path=p, line=1) from None
        columns = [h.strip().lower() for h in header or []]
        if "email" not in columns:
            raise NewsletterError(
                "the header row lacks an 'email' column; the first line must name the columns, "
                "e.g. email,name,language",
                path=p,
                line=1,
            )
        at = {name: columns.index(name) for name in ("email", "name", "language") if name in columns}
        source = source or f"import:{path.name}"
        t = now()
        seen: set[str] = set()
        line = reader.line_num
        with transaction(self.db):
            while True:
                start = line + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    # The csv module cannot resynchronise after a broken quote: stop here.
                    report.errors.append(f"{p}:{start}: malformed CSV ({e}); rows after it were not read")
                    break
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(columns):
                    report.errors.append(
                        f"{p}:{start}: has {len(row)} fields, the header has {len(columns)}; row skipped"
                    )
                    continue
                try:
                    addr = normalize_address(row[at["email"]])
                    name = normalize_name(row[at["name"]]) if "name" in at else ""
                    lang = normalize_language(row[at["language"]]) if "language" in at else ""
                except NewsletterError as e:
                    report.errors.append(f"{p}:{start}: {e}; row skipped")
                    continue
                key = addr.lower()
                if key in seen:
                    report.duplicates += 1
                    continue
                seen.add(key)
                cur = self.db.execute(
                    "INSERT INTO subscribers (address, address_key, name, language, status, source,"
                    " created, changed) VALUES (?, ?, ?, ?, 'active', ?, ?, ?)"
                    " ON CONFLICT (address_key) DO NOTHING",
                    (addr, key, name, lang, source, t, t),
                )
                if cur.rowcount:
                    report.added += 1
                else:
                    report.existing += 1
        return report

    def export_csv(self, out: TextIO, status: str | None = None) -> int:
        """Write the list as CSV (re-importable: `email,name,language,…`); returns the row count."""
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_FIELDS)
        n = 0
        for s in self.stream(status):
            writer.writerow((s.address, s.name, s.language, s.status, s.created, s.changed, s.source))
            n += 1
        return n


_COLUMNS = "id, address, name, language, status, source, created, changed"
