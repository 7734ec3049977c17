"""Where returned mail waits: a Maildir folder, an mbox file, or an IMAP folder over TLS.

Each mailbox hands out its unprocessed messages and puts a processed one aside: a Maildir moves
it into its `.processed` subfolder (Maildir++, so a mail client shows it as a folder), an mbox
moves it into `<file>.processed`, IMAP flags it \\Seen (only unseen messages are read). A
message that could not be read is left where it was, for a person to look at.
"""

from __future__ import annotations

import contextlib
import imaplib
import mailbox
import os
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from ..errors import NewsletterError

IMAP_PASSWORD_ENV = "NEWSLETTER_IMAP_PASSWORD"
#: Messages larger than this are not bounces (a DSN returns headers or a short copy): left alone.
MAX_REPORT_BYTES = 10_000_000


class Mailbox(Protocol):
    def describe(self) -> str: ...

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """(key, raw bytes) of every message not processed yet."""
        ...

    def done(self, key: str) -> None:
        """Put a processed message aside, so the next run does not read it again."""
        ...

    def close(self) -> None: ...


def open_mailbox(source: str, root: Path) -> Mailbox:
    """The mailbox `source` names: imaps://user@host[:port]/folder, a Maildir folder or an mbox file
    (relative paths from the config's folder)."""
    if source.lower().startswith("imaps://"):
        return ImapMailbox.from_url(source)
    if "://" in source:
        raise NewsletterError(
            f"unknown mailbox {source!r}: give a Maildir folder, an mbox file or imaps://user@host/folder"
        )
    path = Path(source) if Path(source).is_absolute() else root / source
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise NewsletterError("is a folder but not a Maildir (it has no new/ or cur/)", path=str(path))
        return MaildirMailbox(path)
    if path.is_file():
        return MboxMailbox(path)
    raise NewsletterError(
        "no such mailbox; give a Maildir folder, an mbox file or imaps://user@host/folder", path=str(path)
    )


class MaildirMailbox:
    def __init__(self, path: Path):
        self.path = path
        self.aside = path / ".processed"

    def describe(self) -> str:
        return str(self.path)

    def messages(self) -> Iterator[tuple[str, bytes]]:
        for sub in ("new", "cur"):
            folder = self.path / sub
            names = sorted(n for n in os.listdir(folder) if not n.startswith(".")) if folder.is_dir() else []
            for name in names:
                p = folder / name
                try:
                    if p.stat().st_size > MAX_REPORT_BYTES:
                        continue
                    yield f"{sub}/{name}", p.read_bytes()
                except FileNotFoundError:  # taken by another reader meanwhile
                    continue

    def done(self, key: str) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.aside / sub).mkdir(parents=True, exist_ok=True)
        name = key.split("/", 1)[1]
        # In cur/ with the Seen flag: a processed report needs no one's attention.
        target = name if ":2," in name else f"{name}:2,S"
        try:
            os.replace(self.path / key, self.aside / "cur" / target)
        except OSError as e:
            raise NewsletterError(
                f"cannot move a processed message aside: {e.strerror}", path=str(self.path / key)
            ) from None

    def close(self) -> None:
        pass


class MboxMailbox:
    def __init__(self, path: Path):
        self.path = path
        try:
            self.box = mailbox.mbox(path, create=False)
            self.box.lock()
        except (OSError, mailbox.Error) as e:
            raise NewsletterError(f"cannot open the mbox file: {e}", path=str(path)) from None
        self.keys: dict[str, str] = {}  # the mailbox's own keys (ints, despite the type hints)
        self.finished: list[str] = []

    def describe(self) -> str:
        return str(self.path)

    def messages(self) -> Iterator[tuple[str, bytes]]:
        for key in list(self.box.keys()):
            data = self.box.get_bytes(key)
            if len(data) <= MAX_REPORT_BYTES:
                self.keys[str(key)] = key
                yield str(key), data

    def done(self, key: str) -> None:
        self.finished.append(self.keys[key])

    def close(self) -> None:
        """Move the processed messages into `<file>.processed`, then rewrite the file without them."""
        try:
            if self.finished:
                aside = mailbox.mbox(self.path.with_name(self.path.name + ".processed"))
                aside.lock()
                try:
                    for key in self.finished:
                        aside.add(self.box.get_message(key))
                    aside.flush()
                finally:
                    aside.unlock()
                    aside.close()
                for key in self.finished:
                    self.box.remove(key)
                self.box.flush()
        except (OSError, mailbox.Error) as e:
            raise NewsletterError(f"cannot move processed messages aside: {e}", path=str(self.path)) from None
        finally:
            self.box.unlock()
            self.box.close()


class ImapMailbox:
    """An IMAP folder over TLS (IMAPS, port 993 by default); the password from the environment."""

    def __init__(self, host: str, port: int, user: str, folder: str, password: str, timeout: float = 60.0):
        self.host, self.port, self.user, self.folder = host, port, user, folder
        where = f"imaps://{user}@{host}:{port}/{folder}"
        try:
            self.imap = imaplib.IMAP4_SSL(
                host, port, ssl_context=ssl.create_default_context(), timeout=timeout
            )
        except (OSError, ssl.SSLError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise NewsletterError(
                f"cannot reach the IMAP server {host}:{port}: {reason}; nothing was read"
            ) from None
        try:
            self.imap.login(user, password)
            typ, data = self.imap.select(_quoted(folder))
        except (imaplib.IMAP4.error, OSError) as e:
            self._logout()
            raise NewsletterError(
                f"the IMAP server refused {where}: {_text(e)}; "
                f"check the user, the folder and {IMAP_PASSWORD_ENV}"
            ) from None
        if typ != "OK":
            self._logout()
            raise NewsletterError(f"no folder {folder!r} on {host}: {_text(data)}")

    @classmethod
    def from_url(cls, url: str) -> ImapMailbox:
        u = urlsplit(url)
        if not u.hostname or not u.username:
            raise NewsletterError(f"{url!r}: write the IMAP mailbox as imaps://user@host/folder")
        if u.password:
            raise NewsletterError(f"put no password in the mailbox address; set {IMAP_PASSWORD_ENV} instead")
        password = os.environ.get(IMAP_PASSWORD_ENV, "")
        if not password:
            raise NewsletterError(
                f"{IMAP_PASSWORD_ENV} is not set; "
                f"set it to the password of {unquote(u.username)}@{u.hostname}"
            )
        try:
            port = u.port or 993
        except ValueError:
            raise NewsletterError(f"{url!r}: the port is not a number") from None
        return cls(u.hostname, port, unquote(u.username), unquote(u.path.strip("/")) or "INBOX", password)

    def describe(self) -> str:
        return f"imaps://{self.user}@{self.host}:{self.port}/{self.folder}"

    def messages(self) -> Iterator[tuple[str, bytes]]:
        try:
            typ, data = self.imap.uid("SEARCH", "UNSEEN")
            uids = data[0].split() if typ == "OK" and data and data[0] else []
            for uid in uids:
                typ, parts = self.imap.uid("FETCH", uid, "(BODY.PEEK[])")
                for part in parts if typ == "OK" else []:
                    if isinstance(part, tuple) and len(part[1]) <= MAX_REPORT_BYTES:
                        yield uid.decode(), part[1]
        except (TimeoutError, imaplib.IMAP4.error, OSError) as e:
            raise NewsletterError(f"reading {self.describe()} failed: {_text(e)}; rerun to go on") from None

    def done(self, key: str) -> None:
        try:
            self.imap.uid("STORE", key, "+FLAGS", "(\\Seen)")
        except (imaplib.IMAP4.error, OSError) as e:
            raise NewsletterError(
                f"cannot flag a processed message on {self.describe()}: {_text(e)}"
            ) from None

    def close(self) -> None:
        self._logout()

    def _logout(self) -> None:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.imap.logout()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(e: object) -> str:
    if isinstance(e, list | tuple):
        e = b" ".join(x for x in e if isinstance(x, bytes))
    if isinstance(e, bytes):
        return e.decode("utf-8", "replace")
    return str(e)
