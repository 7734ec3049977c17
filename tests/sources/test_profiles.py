"""Site profiles: loading, detection, and the loose phrase matching real pages need."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.sources.profiles import (
    byline_names,
    byline_role,
    detect_profile,
    load_profiles,
    related_title,
    strip_boilerplate,
    translator_names,
)

DATA = Path(__file__).parents[1] / "data"
TEXT = DATA / "text"
PROFILES = load_profiles()
DE = PROFILES["novastan"].languages["de"]
FR = PROFILES["novastan"].languages["fr"]
EN = PROFILES["novastan"].languages["en"]


def test_shipped_profiles_are_novastan_and_generic() -> None:
    assert {"novastan", "generic"} <= set(PROFILES)
    assert set(PROFILES["novastan"].languages) >= {"de", "fr", "en"}
    assert set(PROFILES["generic"].languages) >= {"de", "fr", "en"}


def test_extra_profile_dir_adds_a_profile() -> None:
    profiles = load_profiles([DATA / "import" / "profiles"])
    assert "examplemag" in profiles and "novastan" in profiles


def test_profile_with_unknown_key_names_file_and_key() -> None:
    with pytest.raises(NewsletterError, match=r"typo-key\.toml.*'relatd'"):
        load_profiles([DATA / "import" / "broken-profiles"])


def test_missing_profile_dir_is_an_error() -> None:
    with pytest.raises(NewsletterError, match="profile_dirs"):
        load_profiles([DATA / "import" / "no-such-folder"])


@pytest.mark.parametrize(
    ("fixture", "profile", "language"),
    [
        ("novastan-sample.de.txt", "novastan", "de"),
        ("donation-hyphen.de.txt", "novastan", "de"),
        ("blank-lines-title-first.de.txt", "novastan", "de"),
        ("novastan-glued-donation.fr.txt", "novastan", "fr"),
        ("novastan-article.en.txt", "novastan", "en"),
        ("generic-byline.en.txt", "generic", "en"),
        ("short-sentence-not-heading.de.txt", "generic", "de"),
    ],
)
def test_detect_profile_and_language(fixture: str, profile: str, language: str) -> None:
    p, rules = detect_profile((TEXT / fixture).read_text(encoding="utf-8"), PROFILES)
    assert (p.name, rules.language) == (profile, language)


def test_explicit_profile_and_language_win() -> None:
    text = (TEXT / "novastan-sample.de.txt").read_text(encoding="utf-8")
    p, rules = detect_profile(text, PROFILES, profile="generic")
    assert (p.name, rules.language) == ("generic", "de")
    p, rules = detect_profile(text, PROFILES, language="fr")
    assert (p.name, rules.language) == ("generic", "fr")  # no Novastan-fr phrase in a German text
    p, rules = detect_profile(text, PROFILES, profile="novastan", language="en")
    assert (p.name, rules.language) == ("novastan", "en")


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(NewsletterError, match=r"unknown profile 'nope'.*generic"):
        detect_profile("text", PROFILES, profile="nope")


def test_language_no_profile_knows_gets_empty_rules_from_generic() -> None:
    p, rules = detect_profile("Текст статьи.", PROFILES, language="ru")
    assert (p.name, rules.language, rules.related_prefixes) == ("generic", "ru", ())
    with pytest.raises(NewsletterError, match="no rules for language 'ru'"):
        detect_profile("Текст статьи.", PROFILES, profile="novastan", language="ru")


@pytest.mark.parametrize(
    "line",
    [
        "Lire aussi sur Novastan : Le titre",
        "Lire aussi sur Novastan\u202f: Le titre",
        "Lire aussi sur Novastan\u00a0: Le titre",
        "Lire aussi sur Novastan: Le titre",
        "LIRE AUSSI SUR NOVASTAN : Le titre",
    ],
)
def test_related_prefix_tolerates_spaces_before_colon_and_case(line: str) -> None:
    assert related_title(line, FR) == "Le titre"


def test_related_title_keeps_colons_in_the_title() -> None:
    line = "Lest auch auf Novastan: Wladimir Putin in Kirgistan: Rückblick"
    assert related_title(line, DE) == "Wladimir Putin in Kirgistan: Rückblick"
    assert related_title("Lest auch das: nichts", DE) is None


@pytest.mark.parametrize(
    ("line", "rules", "names"),
    [
        ("Joseph Fischer für Novastan", DE, ("Joseph Fischer",)),
        ("Anna Berg und Jan Kuhl für Novastan", DE, ("Anna Berg", "Jan Kuhl")),
        (
            "A. Berg, Jan Kuhl und Aibek Tashiev uulu für Novastan",
            DE,
            ("A. Berg", "Jan Kuhl", "Aibek Tashiev uulu"),
        ),
        ("Jeanne Martin et Marie d’Arcy pour Novastan", FR, ("Jeanne Martin", "Marie d’Arcy")),
        ("Dilnoza Karimova and Tom Becker for Novastan", EN, ("Dilnoza Karimova", "Tom Becker")),
        ("Joseph Fischer, Redakteur für Novastan", DE, ("Joseph Fischer",)),
    ],
)
def test_byline_names(line: str, rules: object, names: tuple[str, ...]) -> None:
    assert byline_names(line, rules) == names  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "line",
    [
        "Das ist eine gute Nachricht für Novastan",
        "Es gab viel Arbeit für Novastan.",
        "Redakteurin für Novastan",
        "Lest auch auf Novastan: Joseph Fischer für Novastan",
    ],
)
def test_prose_is_no_byline(line: str) -> None:
    assert byline_names(line, DE) is None


def test_role_line_is_recognized() -> None:
    assert byline_role("Redakteurin für Novastan", DE)
    assert byline_role("Rédactrice en chef pour Novastan", FR)
    assert not byline_role("Joseph Fischer für Novastan", DE)


@pytest.mark.parametrize(
    ("line", "rules", "names"),
    [
        ("Aus dem Englischen von Margaret Bullich", DE, ("Margaret Bullich",)),
        ("Aus dem Russischen übersetzt von Lea Sommer", DE, ("Lea Sommer",)),
        ("Traduit de l’allemand par Paul Durand", FR, ("Paul Durand",)),
        ("Traduit de l'anglais par Paul Durand et Léa Petit", FR, ("Paul Durand", "Léa Petit")),
        ("Traduit du russe par Paul Durand", FR, ("Paul Durand",)),
        ("Translated from French by Anna Schmidt", EN, ("Anna Schmidt",)),
    ],
)
def test_translator_names(line: str, rules: object, names: tuple[str, ...]) -> None:
    assert translator_names(line, rules) == names  # type: ignore[arg-type]


@pytest.mark.parametrize("dash", ["-", "–", "—"])
def test_boilerplate_matches_any_dash_and_splits_glued_text(dash: str) -> None:
    text = (
        f"Vorher.\nUnterstützt Novastan {dash} das europäische Zentralasien-Magazin\n"
        "Als vereinsgetragene, unabhängige Plattform lebt Novastan vom Enthusiasmus seiner "
        f"ehrenamtlichen Mitarbeiter:innen {dash} und von eurer Unterstützung!Im Gegensatz dazu."
    )
    assert strip_boilerplate(text, DE) == "Vorher.\n\nIm Gegensatz dazu."


def test_boilerplate_matches_straight_and_typographic_apostrophes() -> None:
    text = (
        "Soutenez Novastan, le média associatif d'Asie centrale En vous abonnant à Novastan, vous "
        "soutenez le seul média européen spécialisé sur l’Asie centrale. Nous sommes indépendants "
        "et pour le rester, nous avons besoin de votre aide\u202f!La suite."
    )
    assert strip_boilerplate(text, FR) == "La suite."


def test_footer_is_cut_to_the_end_of_its_line() -> None:
    text = (
        "Letzter Absatz.\nNoch mehr Zentralasien findet ihr auf unseren Social Media Kanälen: "
        "Schaut mal vorbei bei Twitter.\nTitel"
    )
    assert strip_boilerplate(text, DE) == "Letzter Absatz.\n\nTitel"


def test_text_without_boilerplate_is_unchanged() -> None:
    text = "Ein Absatz.\nNoch einer, der Novastan unterstützt."
    assert strip_boilerplate(text, DE) == text
