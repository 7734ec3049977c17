"""An issue's complete email message, encoded once: every delivery, and the message `check` judges.

`compose_message` (outputs/message.py) is the reference for what a message says; this module
writes the same message, parsed back, in a fraction of the time. The stdlib email machinery
(header registry, pure-Python quoted-printable, the generator) costs milliseconds per message;
here the bodies are quoted-printable by binascii (C), the headers that depend only on the config
are validated and folded once per process, and the plain headers of an issue are written
directly. Address headers come from the one address writer (outputs/headers.py), as in
compose_message; an unusual subject (one that looks like an encoded word) falls back to the
stdlib folder, so the message always reads back as compose_message's.

Each body part is split at the unsubscribe placeholder and each static piece is encoded once;
per recipient only the short URL is encoded, set between soft line breaks (`=`CRLF), so no
encoded line ever straddles a personal part and no line exceeds 78 octets.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass
from email.policy import SMTP
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path

from ..config import Config
from ..defaults import SAMPLE_RECIPIENT, for_delivery, sample_unsubscribe_url
from ..errors import NewsletterError
from ..model import Issue
from .built import BuiltIssue, built_email
from .headers import address_header, fold_words
from .message import (
    MAX_HEADER_LINE,
    UNSUBSCRIBE_PLACEHOLDER,
    Envelope,
    checked_list_id,
    content_language,
    envelope_for,
    list_unsubscribe,
    mailbox_field,
    message_id,
    safe_header,
)

CRLF = b"\r\n"
SOFT_BREAK = b"=\r\n"
# The placeholder as written by the build, and as an HTML serializer may have URL-escaped it.
_PLACEHOLDERS = (UNSUBSCRIBE_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER.replace("{", "%7B").replace("}", "%7D"))
_TEXT_HEAD = (
    b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
)
_HTML_HEAD = (
    b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
)
_TAIL_HEADERS = b"Auto-Submitted: auto-generated\r\nPrecedence: bulk\r\nMIME-Version: 1.0\r\n"
_ONE_CLICK = b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
_PLAIN_URL = re.compile(r"[!-~]{1,900}")  # printable ASCII, no space, short enough for one line
# Line breaks to str.splitlines that safe_header lets through: the stdlib refuses them in a header.
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")
# RFC 2047 "Q": letters, digits and !*+-/ stay, space becomes "_", everything else =XX.
_Q_KEEP = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_Q = [chr(b) if b in _Q_KEEP else f"={b:02X}" for b in range(256)]
_Q[0x20] = "_"
_WORD_PAYLOAD = 48  # octets of Q text per encoded word: "=?utf-8?q?" + 48 + "?=" = 60 characters


def _qp(data: bytes) -> bytes:
    """Quoted-printable with CRLF line ends, and "From " at a line start encoded (=46rom).

    binascii is C; LF-only input keeps LF-only output, so CRLF comes from one replace. An mbox
    on the way would otherwise turn "From " into ">From ", changing the text and breaking DKIM.
    """
    encoded = binascii.b2a_qp(data, istext=True).replace(b"\n", CRLF)
    if b"From " in encoded:
        encoded = encoded.replace(b"\nFrom ", b"\n=46rom ")
        if encoded.startswith(b"From "):
            encoded = b"=46" + encoded[1:]
    return encoded


def _stdlib_header(name: str, value: object, what: str) -> bytes:
    """One header folded exactly as compose_message's EmailMessage(policy=SMTP) writes it."""
    try:
        _, header = SMTP.header_store_parse(name, value)  # type: ignore[arg-type]
        return SMTP.fold_binary(name, header)
    except (ValueError, IndexError):
        raise NewsletterError(f"{what} contains a line break or cannot be written: {value!r}") from None


def _fold(name: str, words: list[str]) -> bytes:
    return fold_words(name, words).encode()


def _encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 Q-encoded words of at most 60 characters, never splitting a character."""
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for ch in text:
        q = "".join(_Q[b] for b in ch.encode()) if ch >= "\x80" else _Q[ord(ch)]
        if size + len(q) > _WORD_PAYLOAD:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(q)
        size += len(q)
    words.append("".join(chunk))
    return [f"=?utf-8?q?{w}?=" for w in words]


def _is_plain(value: str) -> bool:
    """Single-spaced words, no leading/trailing space, no encoded-word opener, nothing the stdlib
    reads differently from how it is written, and no word too long for a line."""
    words = value.split(" ")
    return (
        "" not in words
        and "=?" not in value
        and not _LINE_BREAKS.search(value)
        and max(map(len, words)) <= 60
    )


def subject_header(subject: str) -> bytes:
    """`Subject:` folded for SMTP: ASCII words as they are, runs of other words as encoded words."""
    safe_header(subject, "the subject")
    if not _is_plain(subject):
        return _stdlib_header("Subject", subject, "the subject")
    if subject.isascii() and len(subject) <= MAX_HEADER_LINE - len("Subject: "):
        return f"Subject: {subject}\r\n".encode()
    words: list[str] = []
    run: list[str] = []  # consecutive non-ASCII words: one encoded run, the spaces inside it
    for word in subject.split(" "):
        if word.isascii():
            if run:
                words += _encoded_words(" ".join(run))
                run = []
            words.append(word)
        else:
            run.append(word)
    if run:
        words += _encoded_words(" ".join(run))
    return _fold("Subject", words)


def to_header(address: str, name: str = "") -> bytes:
    """`To:` folded for SMTP, by the one address writer (outputs/headers.py)."""
    return address_header("To", address, name).encode()


@lru_cache(maxsize=64)
def _sender_headers(sender: str, reply_to: str) -> tuple[bytes, bytes]:
    """From and Reply-To, validated and folded once per config (they never change per issue)."""
    folded_from = mailbox_field("From", sender, "the sender address").folded.encode()
    if not reply_to:
        return folded_from, b""
    return folded_from, mailbox_field("Reply-To", reply_to, "the reply-to address").folded.encode()


@lru_cache(maxsize=64)
def _list_id_header(list_id: str) -> bytes:
    return _stdlib_header("List-Id", checked_list_id(list_id), "the list id") if list_id else b""


@lru_cache(maxsize=64)
def _mailto_words(unsubscribe_mailto: str) -> tuple[str, ...] | None:
    """The mailto part of List-Unsubscribe as words to fold, or None when the stdlib must write it."""
    if not unsubscribe_mailto:
        return ()
    mailto = f"<mailto:{unsubscribe_mailto}?subject=unsubscribe>"
    return (mailto,) if _PLAIN_URL.fullmatch(mailto) else None


def _list_unsubscribe_header(url: str, mailto: tuple[str, ...] | None, unsubscribe_mailto: str) -> bytes:
    """List-Unsubscribe for one recipient; `url` is checked by safe_header already."""
    if mailto and mailto[0] == f"<{url}>":  # an unsubscribe by email only: name it once
        mailto = ()
    if mailto is None or not _PLAIN_URL.fullmatch(url):
        value = list_unsubscribe(url, unsubscribe_mailto)
        return _stdlib_header("List-Unsubscribe", value, "the unsubscribe URL")
    return _fold("List-Unsubscribe", [f"<{url}>," if mailto else f"<{url}>", *mailto])


@dataclass(frozen=True)
class _Part:
    """One body part: its header block, and its body as encoded static pieces between URLs."""

    head: bytes
    pieces: tuple[bytes, ...]
    escape_html: bool

    def encode(self, url: str, out: list[bytes]) -> None:
        out.append(self.head)
        out.append(self.pieces[0])
        if len(self.pieces) > 1:
            encoded_url = _qp((html.escape(url) if self.escape_html else url).encode()) + SOFT_BREAK
            for piece in self.pieces[1:]:
                out.append(encoded_url)
                out.append(piece)


def _split_body(content: str, what: str, *, require_link: bool = True) -> tuple[bytes, ...]:
    """`content` quoted-printable, in pieces split where the unsubscribe URL goes."""
    if "\r" in content:
        content = content.replace("\r\n", "\n").replace("\r", "\n")
    if not content.endswith("\n"):
        content += "\n"  # as compose_message (set_content) does
    segments = content.split(_PLACEHOLDERS[0])
    if _PLACEHOLDERS[1] in content:
        segments = [s for segment in segments for s in segment.split(_PLACEHOLDERS[1])]
    if require_link and len(segments) < 2:
        raise NewsletterError(
            f"{what} has no unsubscribe link (the placeholder {UNSUBSCRIBE_PLACEHOLDER}); "
            "rebuild it with `newsletter build`"
        )
    # Every piece but the last ends in a soft break, so the URL starts a fresh encoded line.
    pieces = [_qp(s.encode()) + SOFT_BREAK for s in segments[:-1]]
    pieces.append(_qp(segments[-1].encode()))
    return tuple(pieces)


def _boundary(issue_id: str) -> str:
    """The same boundary for the same issue. "=_" never occurs in quoted-printable output (a "="
    is always followed by two hex digits or a line end), so no body line can look like it."""
    return "=_" + hashlib.sha256(issue_id.encode()).hexdigest()[:40]


def date_header(when: dt.datetime) -> bytes:
    """`Date:` for `when` (RFC 5322), one line."""
    return f"Date: {format_datetime(when)}\r\n".encode()


class MessageTemplate:
    """An issue's message, encoded once; `render` makes one recipient's bytes.

    Build it from the built `email.html`/`email.txt` (which hold UNSUBSCRIBE_PLACEHOLDER where the
    recipient's unsubscribe URL goes). `subject_prefix` is for test sends ("[TEST] ").
    """

    def __init__(
        self, env: Envelope, *, html: str, text: str, subject_prefix: str = "", require_link: bool = True
    ):
        self.env = env
        # The headers every recipient shares, validated as compose_message validates them.
        from_, reply_to = _sender_headers(env.sender, env.reply_to)
        self._before_to = from_
        subject = subject_header(subject_prefix + env.subject)
        self._before_date = reply_to + subject
        self._issue_date = date_header(env.date)
        self._list_id = _list_id_header(env.list_id)
        self._mailto = _mailto_words(env.unsubscribe_mailto)
        text_pieces = _split_body(text, "email.txt", require_link=require_link)
        html_pieces = _split_body(html, "email.html", require_link=require_link)
        self.boundary = _boundary(env.issue_id)
        self._tail = (
            _TAIL_HEADERS
            + f"Content-Language: {content_language(env.language)}\r\n".encode()
            + f'Content-Type: multipart/alternative;\r\n boundary="{self.boundary}"\r\n\r\n'.encode()
        )
        # The CRLF before a delimiter belongs to the delimiter, not to the part's content.
        delimiter = f"--{self.boundary}\r\n".encode()
        self._parts = (
            _Part(delimiter + _TEXT_HEAD, text_pieces, escape_html=False),
            _Part(CRLF + delimiter + _HTML_HEAD, html_pieces, escape_html=True),
        )
        self._close = f"\r\n--{self.boundary}--\r\n".encode()

    def render(self, address: str, name: str, unsubscribe_url: str, date: bytes | None = None) -> bytes:
        """The complete message for one recipient, CRLF line ends, ready for SMTP DATA.

        `date` is the Date header (`date_header`): delivery gives the time of sending, so a late
        send does not land among old mail; without it, the issue's date. Delivery sends only https
        unsubscribe URLs: one-click unsubscribe (RFC 8058) needs them.
        """
        safe_header(unsubscribe_url, "the unsubscribe URL")
        if not unsubscribe_url.startswith("https://"):
            raise NewsletterError("the unsubscribe URL must be https:// for one-click unsubscribe (RFC 8058)")
        return self._compose(address, name, unsubscribe_url, date or self._issue_date)

    def compose(self, address: str, name: str, unsubscribe_url: str) -> bytes:
        """The message for one recipient, dated as the issue (the build's sample: the same input
        gives the same bytes); an http:// URL gets no List-Unsubscribe-Post."""
        safe_header(unsubscribe_url, "the unsubscribe URL")
        return self._compose(address, name, unsubscribe_url, self._issue_date)

    def _compose(self, address: str, name: str, unsubscribe_url: str, date: bytes) -> bytes:
        env = self.env
        out = [self._before_to, to_header(address, name), self._before_date, date]
        mid = message_id(env.issue_id, address, env.sender)
        out.append(
            f"Message-ID: {mid}\r\n".encode()
            if len(mid) <= MAX_HEADER_LINE - len("Message-ID: ")
            else _stdlib_header("Message-ID", mid, "the message id")
        )
        out.append(self._list_id)
        out.append(_list_unsubscribe_header(unsubscribe_url, self._mailto, env.unsubscribe_mailto))
        if unsubscribe_url.startswith("https://"):
            out.append(_ONE_CLICK)
        out.append(self._tail)
        for part in self._parts:
            part.encode(unsubscribe_url, out)
        out.append(self._close)
        return b"".join(out)


def sample_message(
    config: Config, issue: Issue | BuiltIssue, html: str, text: str, *, to_address: str, unsubscribe_url: str
) -> bytes:
    """The issue's message for a sample recipient, as SMTP bytes, dated with the issue's date.

    Reads back like compose_message's for the same inputs; unlike delivery it accepts an http://
    URL and a body without the unsubscribe placeholder, as compose_message does.
    """
    template = MessageTemplate(envelope_for(config, issue), html=html, text=text, require_link=False)
    return template.compose(to_address, "", unsubscribe_url)


def built_template(
    config: Config,
    issue: BuiltIssue,
    html: str,
    text: str,
    *,
    subject_prefix: str = "",
    require_link: bool = True,
) -> MessageTemplate:
    """The message of a built issue, from its published email.html and email.txt: their web
    unsubscribe link turned back into the placeholder each recipient's own URL takes."""
    return MessageTemplate(
        envelope_for(config, issue),
        html=for_delivery(config, html, html=True),
        text=for_delivery(config, text, html=False),
        subject_prefix=subject_prefix,
        require_link=require_link,
    )


def built_message(config: Config, public: Path, issue: BuiltIssue) -> bytes:
    """The message `send` makes of the built `issue`, for a sample recipient and dated with the
    issue's date: what `check` judges. It is not kept as a file: a sample message is no page
    for the web, and it would be a third of the published bytes.
    """
    template = built_template(config, issue, *built_email(public, issue), require_link=False)
    return template.compose(SAMPLE_RECIPIENT, "", sample_unsubscribe_url(config, "sample"))
