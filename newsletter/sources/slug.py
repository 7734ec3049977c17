"""Slugs: a title as an ASCII path segment, transliterated, not stripped ("Dürre" -> "duerre"
in German, "Ташкент" -> "tashkent").

Transliteration is python-slugify's (Unidecode tables); only where a language spells a letter
differently from that common table does it get its own replacements: German writes ä as "ae",
Danish and Norwegian write å as "aa". A slug is minted once, on import: changing these rules
never renames an issue that exists.
"""

from __future__ import annotations

import re

from ..model import Language

_UMLAUTS = [["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"], ["ä", "ae"], ["ö", "oe"], ["ü", "ue"]]
_NORDIC = [["Æ", "Ae"], ["Ø", "Oe"], ["Å", "Aa"], ["æ", "ae"], ["ø", "oe"], ["å", "aa"]]

#: Per primary language subtag: the letters it transliterates its own way.
LANGUAGE_RULES: dict[str, list[list[str]]] = {
    "de": _UMLAUTS,
    "da": _NORDIC,
    "nb": _NORDIC,
    "nn": _NORDIC,
    "no": _NORDIC,
}

_WORD = "a-z0-9"  # what a slug's words are made of; a single hyphen joins them
_NOT_SLUG = re.compile(f"[^{_WORD}]+")
_SLUG = re.compile(f"[{_WORD}]+(?:-[{_WORD}]+)*")
#: The longest slug a file may name: what `slugify` keeps of a longer one.
MAX_SLUG = 200


def is_slug(text: str) -> bool:
    """Whether `text` is a slug as written, i.e. `slugify(text, max_length=MAX_SLUG)` gives it
    back: ASCII letters and digits in words joined by single hyphens, at most MAX_SLUG long.
    Decided without python-slugify, which reading an issue then need not import."""
    return len(text) <= MAX_SLUG and _SLUG.fullmatch(text) is not None


def slugify(text: str, max_length: int = 60, language: str = "") -> str:
    """An ASCII slug: "Kasachstan: Wird sich…" -> "kasachstan-wird-sich"; never empty, no "../".

    Cut at a word boundary below `max_length`; `language` (a BCP 47 tag) picks its own rules.
    """
    from slugify import slugify as _transliterated_slug  # only to make one: 5 ms to import

    tag = Language.parse(language)
    rules = LANGUAGE_RULES.get(tag.primary, []) if tag else []
    slug = _transliterated_slug(text, replacements=[*rules, ["ß", "ss"]], lowercase=True)
    slug = _NOT_SLUG.sub("-", slug).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug or "issue"
