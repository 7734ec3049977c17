"""Bytes from outside -> clean text, or one clear error: every source reads through here."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..errors import NewsletterError

# C0 controls except tab/newline/CR, DEL, C1 controls, lone surrogates, noncharacters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Bidi overrides and isolates are kept out of text: they can reverse how a title reads.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff]")


def read_limited(path: Path, max_bytes: int) -> bytes:
    """Read a file, refusing one larger than `max_bytes` before reading it whole."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise NewsletterError(
                f"is {size:,} bytes, over the limit of {max_bytes:,}; "
                "split it or raise [limits] max_source_bytes",
                path=str(path),
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise NewsletterError("no such file", path=str(path)) from None
    except IsADirectoryError:
        raise NewsletterError("is a folder, not a file", path=str(path)) from None
    except PermissionError:
        raise NewsletterError("cannot be read (permission denied)", path=str(path)) from None


def decode_source(data: bytes, path: str, *, max_bytes: int = 5_000_000) -> str:
    """UTF-8 (with or without BOM) or, failing that, cp1252 text, normalized to NFC.

    Binary data and control characters are refused with the line they are on; zero-width
    characters and bidi controls are dropped.
    """
    if len(data) > max_bytes:
        raise NewsletterError(
            f"is {len(data):,} bytes, over the limit of {max_bytes:,}; raise [limits] max_source_bytes",
            path=path,
        )
    if b"\x00" in data[:8192]:
        raise NewsletterError("is a binary file, not text; give a Markdown, HTML or text file", path=path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise NewsletterError(
                "is neither UTF-8 nor Windows-1252 text; save it as UTF-8", path=path
            ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    m = _FORBIDDEN.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise NewsletterError(
            f"contains the control character U+{ord(m.group()):04X}; remove it", path=path, line=line
        )
    text = _ZERO_WIDTH.sub("", _BIDI.sub("", text))
    return unicodedata.normalize("NFC", text)


def clean_inline_text(text: str) -> str:
    """A one-line text (title, name, heading): controls, bidi and zero-width removed, spaces folded."""
    text = _ZERO_WIDTH.sub("", _BIDI.sub("", _FORBIDDEN.sub("", text)))
    return " ".join(text.split())
