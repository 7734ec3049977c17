"""Bytes from outside -> clean text, or one clear error: every source reads through here."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from ..characters import BIDI_CONTROLS, LINE_SEPARATORS, UNSAFE, UNUSUAL, ZERO_WIDTH
from ..errors import NewsletterError


def _cp1252_or_latin1(error: UnicodeError) -> tuple[str, int]:
    # The five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) read as Latin-1
    # does: C1 controls, which the control-character rule below then handles.
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


def _c1_as_bytes(error: UnicodeError) -> tuple[bytes, int]:
    # Encoding back to cp1252: a C1 control stands for the byte it was read from.
    assert isinstance(error, UnicodeEncodeError)
    chars = error.object[error.start : error.end]
    if any(ord(c) > 0xFF for c in chars):
        raise error
    return chars.encode("latin-1"), error.end


codecs.register_error("newsletter-cp1252", _cp1252_or_latin1)
codecs.register_error("newsletter-c1", _c1_as_bytes)
# What UTF-8 looks like when read as cp1252: "Ã¼" for "ü", "â€œ" for "“".
_MOJIBAKE = re.compile("[ÂÃ][\x80-\xbf\u0152-\u2122]|â€")


def repair_mojibake(text: str) -> str:
    """UTF-8 that was once read as cp1252 ("FÃ¼r") as it was meant ("Für").

    Only when the whole text reads back that way, so real text that merely contains "Ã" is
    left alone: a mixed or ambiguous text is kept as it is.
    """
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("cp1252", errors="newsletter-c1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _decode(data: bytes, path: str, repair: bool) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        lenient = data.decode("utf-8", errors="replace")
        if not any(ord(c) > 0x7F and c != "\ufffd" for c in lenient):
            return data.decode("cp1252", errors="newsletter-cp1252")  # no UTF-8 in it at all
        if repair:  # UTF-8 with a broken sequence (a lone surrogate, a cut character): drop it
            return data.decode("utf-8", errors="ignore")
        line = data[: e.start].count(b"\n") + 1
        raise NewsletterError(
            f"has an invalid UTF-8 sequence ({data[e.start : e.end]!r}); save the file as UTF-8",
            path=path,
            line=line,
        ) from None


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


def decode_source(data: bytes, path: str, *, max_bytes: int = 5_000_000, repair: bool = False) -> str:
    """UTF-8 (with or without BOM) or, failing that, cp1252 text, normalized to NFC.

    Binary data is refused. An editor's own file is refused with the line of a control
    character (or lone surrogate, noncharacter) or a broken UTF-8 sequence, since they can fix
    it. With `repair` (an import: a scraped page, a pasted dump) those are dropped instead, as
    they carry nothing a reader could see, and mojibake ("FÃ¼r") is read as meant ("Für").
    Zero-width characters and bidi controls are always dropped; vertical tab, form feed and
    the Unicode line/paragraph separators become newlines.
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
    text = _decode(data, path, repair).replace("\r\n", "\n").replace("\r", "\n")
    if not repair and not UNUSUAL.search(text):  # most files: one scan finds nothing to do
        return text if text.isascii() else unicodedata.normalize("NFC", text)
    text = LINE_SEPARATORS.sub("\n", text)
    if repair:
        text = UNSAFE.sub("", repair_mojibake(text))
    m = UNSAFE.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise NewsletterError(
            f"contains the control character U+{ord(m.group()):04X}; remove it", path=path, line=line
        )
    text = ZERO_WIDTH.sub("", BIDI_CONTROLS.sub("", text))
    return unicodedata.normalize("NFC", text)
