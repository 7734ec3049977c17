"""The subscriber list: who gets the newsletter, in which language, and whether they still want it.

Addresses are validated with email-validator (syntax only, no DNS look-ups) and stored in their
ASCII form; de-duplication is case-insensitive. Nobody is ever resurrected: importing an address
that unsubscribed or bounced leaves its status alone.

Double opt-in (the web service, newsletter/service/) keeps sign-ups that are not yet confirmed in
their own table, `pending_signups`: a pending address is not a subscriber, so nothing that reads
`subscribers` (the sender, exports) ever sees it, and old databases need no migration. A pending
row holds the nonce its confirmation links carry, so a link works once, and counts the
confirmation mails sent, so nobody can flood an address with them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from email_validator import EmailNotValidError, validate_email

from ..characters import CONTROL
from ..config import edition_language
from ..errors import NewsletterError
from ..model import Language
from .database import Store, now, open_database, transaction
from .names import normalize_name

STATUSES = ("active", "unsubscribed", "bounced", "complained")
#: The status `signup_status` reports for an address that signed up but has not confirmed yet.
PENDING = "pending"

PENDING_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS pending_signups (
    address_key TEXT PRIMARY KEY,              -- lower-cased, as subscribers.address_key
    address TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    nonce TEXT NOT NULL,                       -- carried by the confirmation links of this sign-up
    requested TEXT NOT NULL,                   -- latest request that sent a mail; expires with its link
    last_sent TEXT NOT NULL DEFAULT '',        -- last confirmation mail, for the resend pause
    sends INTEGER NOT NULL DEFAULT 0           -- confirmation mails sent for this row
) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS pending_signups_requested ON pending_signups (requested)",
)
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


@dataclass(frozen=True)
class SignupRequest:
    """What `request_signup` decided: send a confirmation mail carrying `nonce`, or not.

    `reason` says why not (for logs and tests only: the visitor always sees the same answer).
    """

    address: str
    nonce: str
    send: bool
    reason: str = ""


@dataclass(frozen=True)
class SignupPolicy:
    """How often one address may be sent a confirmation mail, and how long a sign-up waits."""

    max_age: dt.timedelta = dt.timedelta(days=7)
    resend_after: dt.timedelta = dt.timedelta(minutes=10)
    max_sends: int = 3


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class ImportReport:
    """What `import_csv` did; `errors` are one line each, naming file and line."""

    added: int = 0
    existing: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


#: About two million subscribers' rows; a larger file is more likely a mistake than a list.
MAX_CSV_BYTES = 200_000_000


def normalize_address(address: str) -> str:
    """The address in the form we store and send to, or NewsletterError saying what is wrong."""
    if CONTROL.search(address):
        raise NewsletterError(f"invalid address {address!r}: contains a line break or control character")
    try:
        # No SMTPUTF8: every address must be sendable by any server; IDN domains become punycode.
        valid = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as e:
        raise NewsletterError(f"invalid address {address!r}: {e}") from None
    return str(valid.ascii_email or valid.normalized)


def normalize_language(language: str, editions: Sequence[str] = ()) -> str:
    """The edition language as stored ("" for the site's); with `editions`, it must be one of them."""
    if editions and language.strip():
        return edition_language(language.strip(), editions)
    lang = Language.parse(language) if language.strip() else None
    if language.strip() and lang is None:
        raise NewsletterError(f"invalid language {language!r}: use a code like 'de' or 'fr'")
    return lang.tag if lang else ""


class SubscriberList(Store):
    """The `subscribers` table; a thin, typed layer the CLI and the sender share."""

    def __init__(self, path: Path | None = None, *, db: sqlite3.Connection | None = None):
        if db is None:
            if path is None:
                raise ValueError("SubscriberList needs a path or a connection")
            db = open_database(path)
        self.db = db
        for statement in PENDING_SCHEMA:
            db.execute(statement)

    def add(
        self,
        address: str,
        name: str = "",
        language: str = "",
        source: str = "cli",
        *,
        editions: Sequence[str] = (),
    ) -> bool:
        """Subscribe `address`; True if new. An existing address that unsubscribed is re-activated
        only by an explicit `add` (the person asked again), never by an import. With `editions`
        (the newsletter's languages), `language` must be one of them."""
        addr = normalize_address(address)
        name, language = normalize_name(name), normalize_language(language, editions)
        return self._activate(addr, name, language, source, now())

    def _activate(self, addr: str, name: str, language: str, source: str, t: str) -> bool:
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
            self.db.execute("DELETE FROM pending_signups WHERE address_key = ?", (key,))
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

    # --- double opt-in -----------------------------------------------------------------------

    def request_signup(
        self,
        address: str,
        language: str = "",
        name: str = "",
        *,
        policy: SignupPolicy | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> SignupRequest:
        """Record a web sign-up and decide whether a confirmation mail goes out (claimed here).

        No mail to an address that is active (nothing to confirm) or complained (it marked us as
        spam), nor more than `max_sends` per sign-up or one per `resend_after`. When the answer
        is `send`, the mail is already counted: call `release_signup` if it could not be sent.
        """
        policy = policy or SignupPolicy()
        addr = normalize_address(address)
        name, language = normalize_name(name), normalize_language(language)
        key, t = addr.lower(), clock()
        with transaction(self.db):
            self.db.execute("DELETE FROM pending_signups WHERE requested < ?", (_stamp(t - policy.max_age),))
            row = self.db.execute("SELECT status FROM subscribers WHERE address_key = ?", (key,)).fetchone()
            if row and row[0] in ("active", "complained"):
                return SignupRequest(addr, "", send=False, reason=f"subscriber is {row[0]}")
            pending = self.db.execute(
                "SELECT nonce, last_sent, sends FROM pending_signups WHERE address_key = ?", (key,)
            ).fetchone()
            if pending is None:
                nonce = secrets.token_urlsafe(12)
                self.db.execute(
                    "INSERT INTO pending_signups (address_key, address, name, language, nonce, requested,"
                    " last_sent, sends) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                    (key, addr, name, language, nonce, _stamp(t), _stamp(t)),
                )
                return SignupRequest(addr, nonce, send=True)
            nonce, last_sent, sends = pending
            if sends >= policy.max_sends:
                return SignupRequest(addr, nonce, send=False, reason="confirmation mails used up")
            if last_sent and last_sent > _stamp(t - policy.resend_after):
                return SignupRequest(addr, nonce, send=False, reason="confirmation mail sent recently")
            # The latest request's language and name win; the nonce stays, so earlier links work.
            self.db.execute(
                "UPDATE pending_signups SET address = ?, name = ?, language = ?, requested = ?,"
                " last_sent = ?, sends = sends + 1 WHERE address_key = ?",
                (addr, name, language, _stamp(t), _stamp(t), key),
            )
            return SignupRequest(addr, nonce, send=True)

    def release_signup(self, address: str, nonce: str) -> None:
        """Un-count a confirmation mail that could not be sent, so the person may simply retry."""
        self.db.execute(
            "UPDATE pending_signups SET sends = max(0, sends - 1), last_sent = ''"
            " WHERE address_key = ? AND nonce = ?",
            (address.strip().lower(), nonce),
        )

    def confirm_signup(self, address: str, nonce: str, *, source: str = "web") -> str:
        """Activate a pending sign-up whose link carries `nonce`.

        Returns "confirmed"; "already_active" for a link used before (nothing changes); or
        "unknown" when no sign-up waits with this nonce (used, expired, or superseded).
        """
        key = address.strip().lower()
        with transaction(self.db):
            row = self.db.execute(
                "SELECT address, name, language, nonce FROM pending_signups WHERE address_key = ?", (key,)
            ).fetchone()
            if row and secrets.compare_digest(row[3], nonce):
                self._activate(row[0], row[1], row[2], source, now())
                self.db.execute("DELETE FROM pending_signups WHERE address_key = ?", (key,))
                return "confirmed"
            status = self.db.execute(
                "SELECT status FROM subscribers WHERE address_key = ?", (key,)
            ).fetchone()
        return "already_active" if status and status[0] == "active" else "unknown"

    def unsubscribe(self, address: str) -> bool:
        """Stop sending to `address` (idempotent); a pending sign-up of it is dropped too.

        True if this call changed a status. `complained` is kept: it is the stronger signal.
        """
        key = address.strip().lower()
        with transaction(self.db):
            self.db.execute("DELETE FROM pending_signups WHERE address_key = ?", (key,))
            cur = self.db.execute(
                "UPDATE subscribers SET status = 'unsubscribed', changed = ?"
                " WHERE address_key = ? AND status IN ('active', 'bounced')",
                (now(), key),
            )
        return cur.rowcount > 0

    def signup_status(self, address: str) -> str | None:
        """The subscriber's status, PENDING for an unconfirmed sign-up, or None if unknown."""
        s = self.get(address)
        if (s is None or s.status != "active") and self.pending_count(address):
            return PENDING
        return s.status if s else None

    def pending_count(self, address: str | None = None) -> int:
        """Unconfirmed sign-ups (of one address, or all)."""
        row = self.db.execute(
            "SELECT count(*) FROM pending_signups WHERE ? IS NULL OR address_key = ?",
            (address and address.strip().lower(),) * 2,
        ).fetchone()
        return int(row[0])

    def import_csv(
        self, path: Path, source: str | None = None, *, editions: Sequence[str] = ()
    ) -> ImportReport:
        """Import a CSV with a header row: `email` (required), `name`, `language` (optional; with
        `editions`, one of them).

        A bad row is reported with its line number and skipped; the rest is imported in one
        transaction. A file that is not a readable CSV with an `email` column is an error.
        """
        p = str(path)
        try:
            if path.stat().st_size > MAX_CSV_BYTES:
                raise NewsletterError(
                    f"is larger than {MAX_CSV_BYTES:,} bytes; split the list into smaller files", path=p
                )
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
                    lang = normalize_language(row[at["language"]], editions) if "language" in at else ""
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
