"""Localized labels and dates for every output, from templates/labels.toml and Babel."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from ..errors import NewsletterError, toml_error
from ..model import Language


@dataclass(frozen=True)
class Labels:
    """The words of one language; `get` falls back to English, then to the key itself."""

    language: str
    words: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.words.get(key, key)

    def translated_by(self, source: str | None) -> str:
        """The translator credit's words: "Aus dem Englischen von" when the source language is
        known and labelled (`translated_from_en`), else "Übersetzt von"."""
        own = self.words.get(TRANSLATED_FROM + Language(source).primary) if source else None
        return own or self["translated_by"]

    def read_translation(self, language: str) -> str:
        """ "Diesen Artikel auf Französisch lesen": the language named in this one (Babel)."""
        return self["read_translation"].format(language=language_name_in(language, self.language))

    def date(self, when: dt.datetime | dt.date) -> str:
        day = when.date() if isinstance(when, dt.datetime) else when
        return _format_date(day, self.words.get("date_format", "long"), self.language)


TRANSLATED_FROM = "translated_from_"


@lru_cache(maxsize=256)  # asked for every issue's translation links and edition picker
def language_name_in(code: str, locale: str) -> str:
    """The name of the language `code` in the language of `locale` ("Französisch" in de)."""
    try:
        names = Locale.parse(locale).languages
    except (ValueError, UnknownLocaleError):
        return code
    tag = Language(code)
    return names.get(tag.locale) or names.get(tag.primary) or code


@lru_cache(maxsize=256)
def language_name(code: str) -> str:
    """A language's name in itself ("Deutsch", "Français"), for edition pickers."""
    try:
        locale = Language(code).locale
        name = Locale.parse(locale).get_display_name(locale) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


# How social networks spell themselves; anything else is shown capitalized.
SOCIAL_NAMES = {
    "x": "X",
    "twitter": "Twitter",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "vk": "VK",
    "bluesky": "Bluesky",
}


def social_label(name: str, labels: Labels) -> str:
    """A social network's display name: a `social_<name>` label if the catalog has one."""
    key = name.strip().lower()
    return labels.words.get(f"social_{key}") or SOCIAL_NAMES.get(key) or name.strip().capitalize()


@lru_cache(maxsize=1 << 16)  # an archive of many issues names many days (decades of daily issues)
def _format_date(day: dt.date, fmt: str, language: str) -> str:
    try:
        return format_date(day, format=fmt, locale=language)
    except Exception:  # an unknown locale: fall back to ISO, never fail a build on a date
        return day.isoformat()


@lru_cache(maxsize=16)
def _catalog(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as e:
        raise toml_error(e, str(path)) from None
    except UnicodeDecodeError:
        raise NewsletterError("invalid labels file: is not UTF-8 text", path=str(path)) from None
    return {lang: {k: str(v) for k, v in table.items()} for lang, table in data.items()}


@lru_cache(maxsize=64)  # as the catalog it is made from; a build asks once per issue and output
def labels_for(templates_dir: Path, language: str) -> Labels:
    """Labels for `language` (a BCP 47 tag like "de" or "de-AT"), English filling the gaps.
    Shared: never change the labels returned."""
    catalog = _catalog(templates_dir / "labels.toml")
    base = Language(language).primary
    # "Translated from German by" is no fallback for a German edition's missing
    # "Aus dem Spanischen von": without its own, a language says "translated by".
    english = catalog.get("en", {}).items()
    words = {k: v for k, v in english if base == "en" or not k.startswith(TRANSLATED_FROM)}
    words.update(catalog.get(base, {}))
    words.update(catalog.get(language, {}))
    return Labels(language=Language(language).locale, words=words)
