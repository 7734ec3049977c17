"""A subscriber's display name, decoded and validated once, where it enters (sign-up, import, CLI).

A name arrives as text a person typed or a list exported, and may hold RFC 2047 encoded words
("=?utf-8?q?…?="): those are decoded first, strictly, so a line break hidden in one is seen and
refused like a typed one. What is stored is plain text that never reads as an encoded word or
as an address; the address headers are written by outputs/headers.py, which holds even if a
stored name slipped past this.
"""

from __future__ import annotations

import base64
import binascii
import re

from ..characters import CONTROL_OR_SEPARATOR as _CONTROL
from ..errors import NewsletterError
from ..inline_text import clean_inline_text

_WORD = r"=\?(?P<charset>[^?\s*]+)(?:\*[^?\s]*)?\?(?P<encoding>[bBqQ])\?(?P<text>[^?\s]*)\?="
_ENCODED_WORD = re.compile(_WORD)
# White space between two encoded words, which RFC 2047 drops.
_BETWEEN_WORDS = re.compile(rf"(?<=\?=)\s+(?={_WORD})")
# A name holding one of these would read as (or next to) an address in a mail client.
_ADDRESS_MARKS = re.compile("[@<>]")


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, text = match["charset"], match["encoding"].lower(), match["text"].encode("ascii")
    raw = base64.b64decode(text, validate=True) if encoding == "b" else binascii.a2b_qp(text, header=True)
    return raw.decode(charset)


def _decoded(name: str) -> str:
    """`name` with its encoded words decoded (RFC 2047: the space between two adjacent words goes);
    NewsletterError if one is malformed or names an unknown charset."""
    if "=?" not in name:
        return name
    joined = _BETWEEN_WORDS.sub("", name) if _ENCODED_WORD.search(name) else name
    try:
        return _ENCODED_WORD.sub(_decode_word, joined)
    except (LookupError, ValueError, binascii.Error):
        raise NewsletterError(f"invalid name {name!r}: an encoded word in it cannot be decoded") from None


def normalize_name(name: str) -> str:
    """A display name as stored: decoded, one line, no control character, no address in it.

    CR/LF and other control characters (header injection), before or after decoding, are
    refused rather than stripped; so is a name that still reads as an encoded word after one
    decoding, or holds "@", "<" or ">". Bidi overrides and zero-width characters, which can make
    a name read as something else, are removed by the one inline-text cleaner every source uses.
    """
    if _CONTROL.search(name):
        raise NewsletterError(f"invalid name {name!r}: contains a line break or control character")
    text = _decoded(name)
    why = ""
    if _CONTROL.search(text):
        why = "an encoded word in it hides a line break or control character"
    elif _ENCODED_WORD.search(text):
        why = "it still reads as an encoded word (=?…?=) once decoded"
    elif _ADDRESS_MARKS.search(text):
        why = "a name cannot hold @, < or > (it would read as an address)"
    if why:
        raise NewsletterError(f"invalid name {name!r}: {why}")
    return clean_inline_text(text)
