"""newsletter.toml: the shipped config loads; every mistake is one line naming the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsletter.config import edition_language, load_config
from newsletter.errors import NewsletterError
from newsletter.model import Language

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data" / "config"


def test_shipped_config_is_a_novastan_newsletter() -> None:
    config = load_config(ROOT / "newsletter.toml")
    assert config.site.base_url.endswith("/")
    assert config.site.language == "de"
    for lang in ("de", "fr", "en"):
        edition = config.site.edition(lang)
        assert edition.search_url and "{query}" in edition.search_url
        assert edition.call_to_action is not None
    assert config.delivery.connections == 4


def test_minimal_config_gets_defaults_and_a_trailing_slash() -> None:
    config = load_config(DATA / "minimal.toml")
    assert config.site.base_url == "https://example.org/news/"
    assert config.site.feed_size == 50
    assert config.site.edition("fr").language == "fr"
    assert config.delivery.transport == "auto"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("broken-toml", "invalid TOML"),
        ("missing-base-url", "[site] base_url: is required"),
        ("relative-base-url", "must be an absolute http(s) URL"),
        ("unsubscribe-without-token", "must contain {token}"),
        ("connections-not-a-number", "[delivery] connections: must be a whole number"),
        ("unknown-site-key", ":5: [site] feedsize: unknown key; did you mean 'feed_size'?"),
        ("unknown-table", ":6: [deliverx]: unknown table; did you mean 'delivery'?"),
        ("unknown-edition-key", ":8: [editions.fr] search_ur: unknown key; did you mean 'search_url'?"),
        ("unknown-call-to-action-key", ":11: [editions.fr.call_to_action] buton: unknown key; did you mean"),
        ("unknown-social-key", ":9: [site.social] urll: unknown key; did you mean 'url'?"),
        ("unknown-service-key", ":7: [service] public_ur: unknown key; did you mean 'public_url'?"),
        ("unknown-check-key", ":7: [check] spam_limt: unknown key; did you mean 'spam_limit'?"),
        ("edition-not-a-language", "[editions] f_r: is not a language code"),
        ("site-language-not-a-tag", "[site] language: must be a language code"),
        ("broken-toml-line-5", ":5: invalid TOML"),
        ("ses-configuration-set-with-a-space", "[delivery] ses_configuration_set: must be an SES"),
    ],
)
def test_bad_config_is_one_clear_line(fixture: str, expected: str) -> None:
    path = DATA / f"{fixture}.toml"
    with pytest.raises(NewsletterError) as e:
        load_config(path)
    assert expected in str(e.value)
    assert str(path) in str(e.value)


def test_missing_config_says_where_to_run(tmp_path: Path) -> None:
    with pytest.raises(NewsletterError, match=r"no newsletter\.toml"):
        load_config(tmp_path)


def test_every_table_reader_runs_when_the_config_is_loaded() -> None:
    """A table read elsewhere (`config.table("check")`) must be read at load too (its reader in
    TABLE_READERS), or its keys would count as typos."""
    package = Path(__file__).parents[1] / "newsletter"
    tables = {
        m.group(1)
        for path in package.rglob("*.py")
        if path.name != "config.py"
        for m in re.finditer(r"config\.table\(\"(\w+)\"\)", path.read_text(encoding="utf-8"))
    }
    config = load_config(DATA / "minimal.toml")
    assert config.top is not None
    assert tables and tables <= set(config.top.children)


def test_languages_are_written_one_way() -> None:
    config = load_config(DATA / "minimal.toml")
    assert config.site.languages == ("en",)
    assert Language.parse("pt_br") == Language("pt-BR")
    assert Language.parse("zh-hant-tw") == Language("zh-Hant-TW")
    assert Language.parse("d e") is None
    assert Language("sd").direction == "rtl" and Language("de-AT").direction == "ltr"
    assert Language("pt-BR").among(["de", "pt"]) == "pt"
    assert Language("PT-br").among(["pt", "pt-BR"]) == "pt-BR"
    assert Language("kk").among(["de", "fr"]) is None


def test_a_language_outside_the_editions_is_one_message() -> None:
    with pytest.raises(NewsletterError) as e:
        edition_language("kk", ("de", "fr", "en"))
    assert str(e.value) == (
        "language 'kk' is not an edition of this newsletter; use one of de, fr, en, "
        "or add an [editions.kk] table to newsletter.toml"
    )
    assert edition_language("de-AT", ("de", "fr")) == "de"
