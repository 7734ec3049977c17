"""One-line text (a title, a heading, a subscriber's name) as every stage keeps it.

Sources clean what they read with it, and the subscriber list cleans names with it, so a name
typed into a sign-up form and a title read from an issue follow the same rules.
"""

from __future__ import annotations

import re
import unicodedata

from .characters import INVISIBLE

# Whitespace that folds to one space; no-break spaces stay (French puts them before ":" and "?").
_FOLDING_SPACE = re.compile(r"[^\S\u00a0\u2007\u202f]+")
# Text that folding changes: a run of spaces, or any other folding space.
_UNFOLDED = re.compile(r"[^\S \u00a0\u2007\u202f]|  ")


def clean_inline_text(text: str) -> str:
    """A one-line text (title, name, heading): controls, bidi and zero-width removed, spaces folded."""
    if text.isprintable():  # no control, format or separator character: no space but " " either
        text = text if text.isascii() else unicodedata.normalize("NFC", text)
        return " ".join(text.split()) if "  " in text else text.strip()
    if INVISIBLE.search(text):
        text = INVISIBLE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return _FOLDING_SPACE.sub(" ", text).strip() if _UNFOLDED.search(text) else text.strip()
