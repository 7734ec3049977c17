"""The subscriber list: who gets the newsletter, in which language, and whether they still want it.

Addresses are validated with email-validator (syntax only, no DNS look-ups) and stored in their
ASCII form; de-duplication is case-insensitive. Nobody is ever resurrected: importing an address
that unsubscribed or bounced leaves its status alone.

Double opt-in (the web service, newsletter/service/) keeps sign-ups that are not yet confirmed in
their own table, `pending_signups`: a pending address is not a subscriber, so nothing that reads
`subscribers` (the sender, exports) ever sees it. A pending
row holds the nonce its confirmation links carry, so a link works once, and counts the
confirmation mails sent, so nobody can flood an address with them.
"""

from __future__ import annotations

import csv
import datetime as dt
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import text

from ..characters import CONTROL
from ..config import edition_language
from ..errors import NewsletterError
from ..model import Language
from ..store import Tables, now, transaction
from .names import normalize_name

STATUSES = ("active", "unsubscribed", "bounced", "complained")
#: The status `signup_status` reports for an address that signed up but has not confirmed yet.
PENDING = "pending"

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


class SubscriberList(Tables):
    """The `subscribers` and `pending_signups` tables; a thin, typed layer the CLI, the service
    and the sender share. Open one per thread (connections are not shared)."""

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

    def _insert(self, addr: str, name: str, language: str, source: str, t: str) -> bool:
        """Insert an active subscriber unless the address is on the list; True if inserted."""
        cur = self._run(
            "INSERT INTO subscribers (address, address_key, name, language, status, source, created, changed)"
            " VALUES (:addr, :key, :name, :lang, 'active', :source, :t, :t)"
            " ON CONFLICT (address_key) DO NOTHING",
            addr=addr,
            key=addr.lower(),
            name=name,
            lang=language,
            source=source,
            t=t,
        )
        return cur.rowcount > 0

    def _activate(self, addr: str, name: str, language: str, source: str, t: str) -> bool:
        if self._insert(addr, name, language, source, t):
            return True
        self._run(
            "UPDATE subscribers SET status = 'active', changed = :t,"
            " name = CASE WHEN :name != '' THEN :name ELSE name END,"
            " language = CASE WHEN :lang != '' THEN :lang ELSE language END WHERE address_key = :key",
            t=t,
            name=name,
            lang=language,
            key=addr.lower(),
        )
        return False

    def set_status(self, address: str, status: str) -> bool:
        """Change a subscriber's status; False if the address is not on the list."""
        if status not in STATUSES:
            raise NewsletterError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        cur = self._run(
            "UPDATE subscribers SET status = :status, changed = :t WHERE address_key = :key",
            status=status,
            t=now(),
            key=address.strip().lower(),
        )
        return cur.rowcount > 0

    def forget(self, address: str) -> bool:
        """Delete every trace of `address` (subscriber row and ledger rows), e.g. for an erasure request."""
        key = address.strip().lower()
        with transaction(self.db):
            row = self._run("SELECT id FROM subscribers WHERE address_key = :key", key=key).first()
            self._run("DELETE FROM pending_signups WHERE address_key = :key", key=key)
            if not row:
                return False
            self._run("DELETE FROM deliveries WHERE subscriber_id = :id", id=row[0])
            self._run(
                "DELETE FROM feedback WHERE subscriber_id = :id OR lower(address) = :key", id=row[0], key=key
            )
            self._run("DELETE FROM subscribers WHERE id = :id", id=row[0])
        return True

    def get(self, address: str) -> Subscriber | None:
        row = self._run(
            f"SELECT {_COLUMNS} FROM subscribers WHERE address_key = :key", key=address.strip().lower()
        )
        first = row.first()
        return Subscriber(*first) if first else None

    def __iter__(self) -> Iterator[Subscriber]:
        return self.stream()

    def stream(self, status: str | None = None, batch: int = 1000) -> Iterator[Subscriber]:
        """All subscribers in id order, streamed in pages so 100,000 rows never sit in memory."""
        last = 0
        where = " AND status = :status" if status else ""
        query = text(f"SELECT {_COLUMNS} FROM subscribers WHERE id > :last{where} ORDER BY id LIMIT :n")
        while True:
            rows = self.db.execute(query, {"last": last, "status": status, "n": batch}).all()
            if not rows:
                return
            for row in rows:
                yield Subscriber(*row)
            last = rows[-1][0]

    def count(self, status: str | None = None) -> int:
        where = " WHERE status = :status" if status else ""
        return int(self._run(f"SELECT count(*) FROM subscribers{where}", status=status).scalar_one())

    def longest_address(self) -> int:
        return int(self._run("SELECT coalesce(max(length(address)), 0) FROM subscribers").scalar_one())

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
            self._run("DELETE FROM pending_signups WHERE requested < :old", old=_stamp(t - policy.max_age))
            row = self._run("SELECT status FROM subscribers WHERE address_key = :key", key=key).first()
            if row and row[0] in ("active", "complained"):
                return SignupRequest(addr, "", send=False, reason=f"subscriber is {row[0]}")
            # ON CONFLICT: two requests for one address at the same moment (two service workers)
            # both land here; the second finds the first's row below instead of failing.
            nonce = secrets.token_urlsafe(12)
            inserted = self._run(
                "INSERT INTO pending_signups (address_key, address, name, language, nonce, requested,"
                " last_sent, sends) VALUES (:key, :addr, :name, :lang, :nonce, :t, :t, 1)"
                " ON CONFLICT (address_key) DO NOTHING",
                key=key,
                addr=addr,
                name=name,
                lang=language,
                nonce=nonce,
                t=_stamp(t),
            ).rowcount
            if inserted:
                return SignupRequest(addr, nonce, send=True)
            # Locked until this decision is committed: two workers deciding at once on PostgreSQL
            # would both read the same last_sent and both send (SQLite serializes writers anyway).
            lock = " FOR UPDATE" if self.db.dialect.name == "postgresql" else ""
            nonce, last_sent, sends = self._run(
                "SELECT nonce, last_sent, sends FROM pending_signups WHERE address_key = :key" + lock, key=key
            ).one()
            if sends >= policy.max_sends:
                return SignupRequest(addr, nonce, send=False, reason="confirmation mails used up")
            if last_sent and last_sent > _stamp(t - policy.resend_after):
                return SignupRequest(addr, nonce, send=False, reason="confirmation mail sent recently")
            # The latest request's language and name win; the nonce stays, so earlier links work.
            self._run(
                "UPDATE pending_signups SET address = :addr, name = :name, language = :lang, requested = :t,"
                " last_sent = :t, sends = sends + 1 WHERE address_key = :key",
                addr=addr,
                name=name,
                lang=language,
                t=_stamp(t),
                key=key,
            )
            return SignupRequest(addr, nonce, send=True)

    def release_signup(self, address: str, nonce: str) -> None:
        """Un-count a confirmation mail that could not be sent, so the person may simply retry."""
        self._run(
            "UPDATE pending_signups SET sends = CASE WHEN sends > 0 THEN sends - 1 ELSE 0 END, last_sent = ''"
            " WHERE address_key = :key AND nonce = :nonce",
            key=address.strip().lower(),
            nonce=nonce,
        )

    def confirm_signup(self, address: str, nonce: str, *, source: str = "web") -> str:
        """Activate a pending sign-up whose link carries `nonce`.

        Returns "confirmed"; "already_active" for a link used before (nothing changes); or
        "unknown" when no sign-up waits with this nonce (used, expired, or superseded).
        """
        key = address.strip().lower()
        with transaction(self.db):
            row = self._run(
                "SELECT address, name, language, nonce FROM pending_signups WHERE address_key = :key", key=key
            ).first()
            if row and secrets.compare_digest(row[3], nonce):
                self._activate(row[0], row[1], row[2], source, now())
                self._run("DELETE FROM pending_signups WHERE address_key = :key", key=key)
                return "confirmed"
            status = self._run("SELECT status FROM subscribers WHERE address_key = :key", key=key).first()
        return "already_active" if status and status[0] == "active" else "unknown"

    def unsubscribe(self, address: str) -> bool:
        """Stop sending to `address` (idempotent); a pending sign-up of it is dropped too.

        True if this call changed a status. `complained` is kept: it is the stronger signal.
        """
        key = address.strip().lower()
        with transaction(self.db):
            self._run("DELETE FROM pending_signups WHERE address_key = :key", key=key)
            cur = self._run(
                "UPDATE subscribers SET status = 'unsubscribed', changed = :t"
                " WHERE address_key = :key AND status IN ('active', 'bounced')",
                t=now(),
                key=key,
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
        where = " WHERE address_key = :key" if address else ""
        key = address.strip().lower() if address else None
        return int(self._run(f"SELECT count(*) FROM pending_signups{where}", key=key).scalar_one())

    def import_csv(
        self, path: Path, source: str | None = None, *, editions: Sequence[str] = ()
    ) -> ImportReport:
        """Import a CSV with a header row: `email` (required), `name`, `language` (optional; with
        `editions`, one of them).

        A bad row is reported with its line number and skipped; the rest is imported in one
        transaction. A file that is not a readable CSV with an `email` column is an error. The
        file is streamed: a million rows take no more memory than a hundred.
        """
        p = str(path)
        try:
            if path.stat().st_size > MAX_CSV_BYTES:
                raise NewsletterError(
                    f"is larger than {MAX_CSV_BYTES:,} bytes; split the list into smaller files", path=p
                )
            f = open(path, "rb")  # noqa: SIM115 (closed below; open errors are reported apart)
        except OSError as e:
            raise NewsletterError(f"cannot read the file: {e.strerror}", path=p) from None
        with f:
            return self._import_rows(f, p, source or f"import:{path.name}", editions)

    def _import_rows(self, f: BinaryIO, p: str, source: str, editions: Sequence[str] = ()) -> ImportReport:
        reader = csv.reader(_text_lines(f, p), strict=True)
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
        t = now()
        line = reader.line_num
        valid = 0
        batch: list[dict[str, object]] = []
        with transaction(self.db):
            # The file's valid rows go to a temporary table in batches (first row of an address
            # wins), then into the list in one statement: memory stays flat for a million rows.
            self._run(
                "CREATE TEMPORARY TABLE import_rows (line INTEGER NOT NULL, key TEXT PRIMARY KEY,"
                " address TEXT NOT NULL, name TEXT NOT NULL, language TEXT NOT NULL)"
            )
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
                valid += 1
                batch.append({"line": start, "key": addr.lower(), "addr": addr, "name": name, "lang": lang})
                if len(batch) >= 1000:
                    self.db.execute(text(_STAGE_ROW), batch)
                    batch = []
            if batch:
                self.db.execute(text(_STAGE_ROW), batch)
            staged = int(self._run("SELECT count(*) FROM import_rows").scalar_one())
            report.added = self._run(
                "INSERT INTO subscribers (address, address_key, name, language, status, source,"
                " created, changed) SELECT address, key, name, language, 'active', :source, :t, :t"
                " FROM import_rows WHERE true ORDER BY line ON CONFLICT (address_key) DO NOTHING",
                source=source,
                t=t,
            ).rowcount
            report.existing = staged - report.added
            report.duplicates = valid - staged  # later rows of an address this file named before
            self._run("DROP TABLE import_rows")
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


def _text_lines(f: BinaryIO, p: str) -> Iterator[str]:
    """The file's lines as text, one at a time; a line that is not UTF-8 or holds NUL is an error."""
    for n, raw in enumerate(f, 1):
        if b"\0" in raw:
            raise NewsletterError("is not a CSV file (it contains NUL bytes)", path=p)
        try:
            yield raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            raise NewsletterError("is not UTF-8 text; save the CSV as UTF-8", path=p, line=n) from None


_STAGE_ROW = (
    "INSERT INTO import_rows (line, key, address, name, language) VALUES (:line, :key, :addr, :name, :lang)"
    " ON CONFLICT (key) DO NOTHING"
)
_COLUMNS = "id, address, name, language, status, source, created, changed"
