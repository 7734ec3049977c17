"""The one writer of address headers (From, To, Reply-To) for every message the project sends.

Whatever the name and address, the header it writes names exactly that one address and holds no
line break but its own folding: a display name is written as plain words, as a quoted string, or
as RFC 2047 encoded words (any name with non-ASCII text or an encoded-word opener "=?", so text
that looks like an encoded word is never read as one), and the result is parsed back by the
stdlib's address parser (a quoted form by its header registry too) before it is used. Nothing
here depends on how a given Python version folds or re-encodes headers: the bytes are written
here, not by the email package.
"""

from __future__ import annotations

import base64
import re
from email.headerregistry import HeaderRegistry
from email.utils import getaddresses
from typing import Any

from ..characters import CONTROL_OR_SEPARATOR as _CONTROL
from ..errors import NewsletterError

MAX_LINE = 78
# RFC 5322 atext: a name made of such words separated by single spaces needs no quoting.
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_ADDRESS = re.compile(rf"(?P<local>.+)@(?P<domain>{_DOT_ATOM})")
_LOCAL_ATOM = re.compile(_DOT_ATOM)
# A local part that is not a dot-atom only for its dots ("x..y"): written quoted, as the stdlib does.
_DOTTED_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
_ENCODED_WORD_BYTES = 45  # base64 of 45 octets: "=?utf-8?b?" + 60 + "?=" = 72 characters
_PARSE = HeaderRegistry()


def _refuse(what: str, value: str, why: str) -> NewsletterError:
    return NewsletterError(f"{what} {value!r} {why}")


def _addr_spec(address: str, what: str) -> str:
    """The address as written in the header: a dot-atom local part, or a quoted one."""
    match = _ADDRESS.fullmatch(address) if address.isascii() and not _CONTROL.search(address) else None
    if match is None:
        raise _refuse(what, address, "is not an address like name@example.org")
    local = match["local"]
    if not _LOCAL_ATOM.fullmatch(local):
        if not _DOTTED_LOCAL.fullmatch(local):
            raise _refuse(what, address, "is not an address like name@example.org")
        local = f'"{local}"'
    return f"{local}@{match['domain']}"


def _encoded_words(name: str) -> list[str]:
    """`name` as base64 encoded words (RFC 2047), each whole characters and at most 72 long."""
    chunks: list[bytes] = []
    chunk = b""
    for ch in name:
        b = ch.encode()
        if len(chunk) + len(b) > _ENCODED_WORD_BYTES:
            chunks.append(chunk)
            chunk = b""
        chunk += b
    chunks.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(c).decode()}?=" for c in chunks]


def _name_words(field: str, name: str, spec: str) -> list[str]:
    """The display name as header words: plain atoms, one quoted string, or encoded words."""
    if _ATOMS.fullmatch(name) and "=?" not in name:
        return name.split(" ")
    if name.isascii() and "=?" not in name:
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(f"{field}: {quoted} <{spec}>") <= MAX_LINE:
            return [quoted]
    return _encoded_words(name)


def fold_words(field: str, words: list[str]) -> str:
    """`field: words…` with CRLF-space between words where a line would pass 78 characters."""
    lines, line = [], field + ":"
    for word in words:
        if len(line) + 1 + len(word) > MAX_LINE and line != field + ":":
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def address_header(field: str, address: str, name: str = "", *, what: str = "the recipient") -> str:
    """`field: name <address>` + CRLF, folded, ASCII, naming `address` and nothing else.

    NewsletterError when the address is not one plain address or the name holds a control
    character (a name is validated where it enters; this is the last line of defence).
    """
    spec = _addr_spec(address, f"{what}'s address")
    if _CONTROL.search(name):
        raise _refuse(f"{what}'s name", name, "contains a line break or control character")
    name = name.strip()
    words = [*_name_words(field, name, spec), f"<{spec}>"] if name else [spec]
    folded = fold_words(field, words)
    # The legacy parser reads every header back (7 µs). A quoted local part, or a quoted name
    # with an escape in it (a backslash or a double quote), where escaping could go wrong, is
    # also read by the header registry (80 µs, most of a message's assembly); plain words, a
    # quoted string of printable ASCII without escapes (qtext only) and base64 encoded words
    # (whose alphabet holds no special) are one mailbox by construction, and the registry would
    # take 300 µs per message to decode the words again.
    escaped = words[0].startswith('"') and ("\\" in name or '"' in name)
    _check_one_address(field, folded, address, spec, what, full=spec != address or escaped)
    return folded


def _check_one_address(field: str, folded: str, address: str, spec: str, what: str, *, full: bool) -> None:
    """The stdlib parsers read exactly one address, `address`, from the header as written."""
    value = folded.split(":", 1)[1].replace("\r\n", "").strip()
    legacy = [a.lower() for _, a in getaddresses([value])]
    ok = legacy == [spec.lower()]
    if ok and full:
        header: Any = _PARSE(field, value)
        modern = [f"{a.username}@{a.domain}".lower() for a in header.addresses]
        ok = modern == [address.lower()] and not header.defects
    if not ok:
        raise NewsletterError(f"{what}'s header cannot be written safely for {address!r}")


class AddressField(str):
    """A header value the email package writes exactly as `address_header` folded it.

    EmailMessage keeps an object with a matching `name` as the header and calls its `fold`,
    so the stdlib neither re-parses nor re-folds it. `str(field)` is the unfolded value.
    """

    name: str
    folded: str

    def __new__(
        cls, field: str, address: str, name: str = "", *, what: str = "the recipient"
    ) -> AddressField:
        folded = address_header(field, address, name, what=what)
        self = super().__new__(cls, folded.split(":", 1)[1].replace("\r\n", "").strip())
        self.name, self.folded = field, folded
        return self

    def fold(self, *, policy: Any) -> str:
        return self.folded.replace("\r\n", policy.linesep)
