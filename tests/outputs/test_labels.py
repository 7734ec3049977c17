"""The labels catalog: translator credits that keep the source language, languages named."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.outputs.labels import labels_for

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    ("edition", "source", "expected"),
    [
        ("de", "en", "Aus dem Englischen von"),
        ("fr", "en", "Traduit de l’anglais par"),
        ("en", "de", "Translated from German by"),
        ("de", None, "Übersetzt von"),
        ("de", "es", "Übersetzt von"),  # no German label for Spanish: never the English one
        ("en", "pt-BR", "Translated by"),
    ],
)
def test_the_translator_credit_names_the_source_language(
    edition: str, source: str | None, expected: str
) -> None:
    assert labels_for(TEMPLATES, edition).translated_by(source) == expected


@pytest.mark.parametrize(
    ("edition", "language", "expected"),
    [
        ("de", "fr", "Diesen Artikel auf Französisch lesen"),
        ("fr", "en", "Lire cet article en anglais"),
        ("en", "de", "Read this article in German"),
    ],
)
def test_a_translation_is_named_in_the_readers_language(edition: str, language: str, expected: str) -> None:
    assert labels_for(TEMPLATES, edition).read_translation(language) == expected
