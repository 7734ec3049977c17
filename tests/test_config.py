"""newsletter.toml: the shipped config loads; every mistake is one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.errors import NewsletterError

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
