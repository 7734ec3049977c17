"""Per-recipient messages in microseconds: encode the issue once, substitute only the personal parts.

`compose_message` (newsletter.outputs.message) is the reference for what a message says; this
module produces the same message, parsed back, without re-encoding 30 KB of quoted-printable per
recipient. The body parts are split at the unsubscribe placeholder and each static piece is
encoded once; per recipient only the short URL is encoded, set between soft line breaks (`=`CRLF),
so no encoded line ever straddles a personal part and no line exceeds 76 octets. The personal
headers (To, Message-ID, List-Unsubscribe) are folded here; every other header comes, folded,
from `compose_message` itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage

from ..errors import NewsletterError
from ..outputs.message import UNSUBSCRIBE_PLACEHOLDER, Envelope, compose_message, message_id, safe_header

CRLF = b"\r\n"
SOFT_BREAK = b"=\r\n"
PERSONAL_HEADERS = ("to", "message-id", "list-unsubscribe")
_SAMPLE_ADDRESS = "recipient@example.invalid"
_SPECIALS = set('()<>[]:;@\\,."')
# The placeholder as written by the build, and as an HTML serializer may have URL-escaped it.
_PLACEHOLDERS = (UNSUBSCRIBE_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER.replace("{", "%7B").replace("}", "%7D"))


def _qp(data: bytes) -> bytes:
    """Quoted-printable with CRLF line ends (binascii is C; LF-only input keeps its output LF-only)."""
    return binascii.b2a_qp(data, istext=True).replace(b"\n", CRLF)


@dataclass(frozen=True)
class _Part:
    """One body part: its header block, and its body as encoded static pieces between URLs."""

    head: bytes
    pieces: tuple[bytes, ...]
    escape_html: bool

    def encode(self, url: str, out: list[bytes]) -> None:
        encoded_url = _qp((html.escape(url) if self.escape_html else url).encode()) + SOFT_BREAK
        out.append(self.head)
        out.append(self.pieces[0])
        for piece in self.pieces[1:]:
            out.append(encoded_url)
            out.append(piece)


def _split_body(content: str, what: str) -> tuple[bytes, ...]:
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"  # as compose_message (set_content) does
    pattern = "|".join(re.escape(p) for p in _PLACEHOLDERS)
    segments = re.split(pattern, text)
    if len(segments) < 2:
        raise NewsletterError(
            f"{what} has no unsubscribe link (the placeholder {UNSUBSCRIBE_PLACEHOLDER}); "
            "rebuild it with `newsletter build`"
        )
    # Every piece but the last ends in a soft break, so the URL starts a fresh encoded line.
    pieces = [_qp(s.encode()) + SOFT_BREAK for s in segments[:-1]]
    pieces.append(_qp(segments[-1].encode()))
    return tuple(pieces)


def _fold(msg: EmailMessage, name: str) -> bytes:
    return msg.policy.fold_binary(name, msg[name])


def _head(part: EmailMessage) -> bytes:
    return b"".join(part.policy.fold_binary(k, v) for k, v in part.items()) + CRLF


def _boundary(env: Envelope, pieces: tuple[tuple[bytes, ...], ...]) -> str:
    """A boundary that is the same for the same issue (deterministic) and cannot occur in the QP body."""
    digest = hashlib.sha256(env.issue_id.encode() + b"".join(b"".join(p) for p in pieces)).hexdigest()
    return f"=_{digest[:40]}"  # "=_" never occurs in quoted-printable output


def to_header(address: str, name: str = "") -> bytes:
    """`To:` folded for SMTP: a plain, quoted or RFC 2047-encoded display name, then the address."""
    safe_header(address, "the recipient's address")
    safe_header(name, "the recipient's name")
    if not name:
        return f"To: {address}\r\n".encode()
    if name.isascii() and name.isprintable():
        if not (_SPECIALS & set(name)) and "=?" not in name and name == " ".join(name.split()):
            display = name
        else:
            display = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        line = f"To: {display} <{address}>"
        if len(line) <= 998:
            return line.encode() + CRLF
    # RFC 2047 encoded words of at most 45 octets (75 characters), never splitting a character.
    words, chunk = [], b""
    for ch in name:
        b = ch.encode()
        if len(chunk) + len(b) > 45:
            words.append(chunk)
            chunk = b""
        chunk += b
    words.append(chunk)
    encoded = [f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words]
    return ("To: " + "\r\n ".join(encoded) + f"\r\n <{address}>\r\n").encode()


class MessageTemplate:
    """An issue's message, encoded once; `render` makes one recipient's bytes.

    Build it from the built `email.html`/`email.txt` (which hold UNSUBSCRIBE_PLACEHOLDER where the
    recipient's unsubscribe URL goes). `subject_prefix` is for test sends ("[TEST] ").
    """

    def __init__(self, env: Envelope, *, html: str, text: str, subject_prefix: str = ""):
        self.env = env
        sample = compose_message(
            env,
            html=html,
            text=text,
            to_address=_SAMPLE_ADDRESS,
            unsubscribe_url="https://unsubscribe.invalid/sample",
            subject_prefix=subject_prefix,
        )
        text_part, html_part = (p for p in sample.iter_parts() if isinstance(p, EmailMessage))
        text_pieces = _split_body(text, "email.txt")
        html_pieces = _split_body(html, "email.html")
        self.boundary = _boundary(env, (text_pieces, html_pieces))
        sample.set_boundary(self.boundary)
        self._before: list[bytes] = []  # header lines before To (From), then the rest
        self._after: list[bytes] = []
        seen_to = False
        for key in sample:
            k = key.lower()
            if k == "to":
                seen_to = True
            elif k not in PERSONAL_HEADERS:
                (self._after if seen_to else self._before).append(_fold(sample, key))
        self._mailto = (
            f"<mailto:{env.unsubscribe_mailto}?subject=unsubscribe>" if env.unsubscribe_mailto else ""
        )
        # The CRLF before a delimiter belongs to the delimiter, not to the part's content.
        delimiter = f"--{self.boundary}\r\n".encode()
        self._parts = (
            _Part(delimiter + _head(text_part), text_pieces, escape_html=False),
            _Part(CRLF + delimiter + _head(html_part), html_pieces, escape_html=True),
        )
        self._close = f"\r\n--{self.boundary}--\r\n".encode()
        self._one_click = "List-Unsubscribe-Post" in sample

    def render(self, address: str, name: str, unsubscribe_url: str) -> bytes:
        """The complete message for one recipient, CRLF line ends, ready for SMTP DATA."""
        safe_header(unsubscribe_url, "the unsubscribe URL")
        if unsubscribe_url.startswith("https://") != self._one_click:
            raise NewsletterError("the unsubscribe URL must be https:// for one-click unsubscribe (RFC 8058)")
        out = [*self._before, to_header(address, name), *self._after]
        out.append(f"Message-ID: {message_id(self.env.issue_id, address, self.env.sender)}\r\n".encode())
        if self._mailto:
            out.append(f"List-Unsubscribe: <{unsubscribe_url}>,\r\n {self._mailto}\r\n".encode())
        else:
            out.append(f"List-Unsubscribe: <{unsubscribe_url}>\r\n".encode())
        out.append(CRLF)
        for part in self._parts:
            part.encode(unsubscribe_url, out)
        out.append(self._close)
        return b"".join(out)
