"""Localized labels and dates for every output, from templates/labels.toml and Babel.

Babel's answers (a date in a language, a language's name) are remembered by question in this
process, and between builds by the build cache (`known_answers`, `remember_answers`; a worker
process sends back its `answers_made`): Babel reads
a locale's data on first use, which costs a rebuild more than rendering the issue it edits.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NewsletterError, toml_error
from ..model import Language
from . import read_once

if TYPE_CHECKING:
    from babel import Locale

#: A question put to Babel: what it asks, then its arguments, all strings.
Question = tuple[str, ...]

_answers: dict[Question, str] = {}  # every answer known to this process
_made: dict[Question, str] = {}  # those Babel made here since `answers_made` was last asked


def _answer(question: Question, make: Callable[[], str]) -> str:
    found = _answers.get(question)
    if found is None:
        found = _answers[question] = _made[question] = make()
    return found


def answers_made() -> dict[Question, str]:
    """The answers Babel made in this process since this was last asked (then forgotten here)."""
    made = dict(_made)
    _made.clear()
    return made


def remember_answers(answers: dict[Question, str]) -> None:
    """Answers made before (by the last build, or by a worker process) for this process to use."""
    _answers.update(answers)


def known_answers() -> dict[Question, str]:
    """Every answer this process knows: made here, by its workers, or remembered."""
    return dict(_answers)


def _locale(tag: str) -> Locale | None:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(tag)
    except (ValueError, UnknownLocaleError):
        return None


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


def language_name_in(code: str, locale: str) -> str:
    """The name of the language `code` in the language of `locale` ("Französisch" in de)."""

    def make() -> str:
        babel_locale = _locale(locale)
        if babel_locale is None:
            return code
        names = babel_locale.languages
        tag = Language(code)
        return names.get(tag.locale) or names.get(tag.primary) or code

    return _answer(("language_name_in", code, locale), make)


def language_name(code: str) -> str:
    """A language's name in itself ("Deutsch", "Français"), for edition pickers."""

    def make() -> str:
        try:
            tag = Language(code).locale
        except ValueError:
            return code
        babel_locale = _locale(tag)
        if babel_locale is None:
            return code
        name = babel_locale.get_display_name(tag) or code
        return name[:1].upper() + name[1:]

    return _answer(("language_name", code), make)


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


def _format_date(day: dt.date, fmt: str, language: str) -> str:
    def make() -> str:
        from babel.dates import format_date

        try:
            return format_date(day, format=fmt, locale=language)
        except Exception:  # an unknown locale: fall back to ISO, never fail a build on a date
            return day.isoformat()

    return _answer(("date", day.isoformat(), fmt, language), make)


@read_once
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


@read_once
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
