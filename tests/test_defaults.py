"""The defaults several stages share: the unsubscribe links of the published web copy and of
delivery, decided in one place, and which configured URLs are only placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, ROOT

from newsletter.build import build
from newsletter.config import load_config
from newsletter.defaults import (
    UNSUBSCRIBE_PLACEHOLDER,
    for_delivery,
    is_placeholder_url,
    published,
    sample_unsubscribe_url,
    web_unsubscribe_link,
)

CONFIGS = DATA / "defaults"


@pytest.mark.parametrize(
    ("url", "placeholder"),
    [
        ("https://example.org/unsubscribe/{token}", True),
        ("https://news.example.com/u/{token}", True),
        ("https://unsubscribe.invalid/{{token}}", True),
        ("https://abo.novastan.org/unsubscribe/{token}", False),
        ("https://example.organic.de/u/{token}", False),
    ],
)
def test_placeholder_hosts(url: str, placeholder: bool) -> None:
    assert is_placeholder_url(url) is placeholder


def test_the_web_copy_links_the_unsubscribe_address_first() -> None:
    config = load_config(CONFIGS / "mailto-only.toml")
    assert web_unsubscribe_link(config) == "mailto:leave@mailto.news.test?subject=unsubscribe"
    # no unsubscribe page configured: a recipient gets the same working link, nothing invented
    assert sample_unsubscribe_url(config, "T") == web_unsubscribe_link(config)


def test_without_an_address_the_web_copy_links_the_sign_up_page() -> None:
    config = load_config(CONFIGS / "no-unsubscribe-at-all.toml")
    assert web_unsubscribe_link(config) == "https://service.news.test/subscribe#unsubscribe"


def test_published_and_for_delivery_are_inverse() -> None:
    config = load_config(ROOT / "newsletter.toml")
    html = f'<p><a href="{UNSUBSCRIBE_PLACEHOLDER}">abmelden</a></p>'
    web = published(config, html, html=True)
    assert UNSUBSCRIBE_PLACEHOLDER not in web and "mailto:unsubscribe@novastan.org" in web
    assert for_delivery(config, web, html=True) == html
    assert sample_unsubscribe_url(config, "abc") == "https://abo.novastan.org/unsubscribe/abc"


@pytest.mark.parametrize("config_name", ["newsletter.toml", "mailto-only.toml", "no-unsubscribe-at-all.toml"])
def test_no_built_file_carries_the_placeholder(tmp_path: Path, config_name: str) -> None:
    """The web copy of an email (email.html, email.txt) shows a link that works; delivery finds it."""
    root = tmp_path / "news"
    (root / "issues").mkdir(parents=True)
    config_file = ROOT / config_name if config_name == "newsletter.toml" else CONFIGS / config_name
    (root / "newsletter.toml").write_bytes(config_file.read_bytes())
    (root / "templates").symlink_to(ROOT / "templates")
    for issue in (ROOT / "issues").glob("*.md"):
        (root / "issues" / issue.name).write_bytes(issue.read_bytes())
    config = load_config(root)
    result = build(config, root / "public")
    for path in (root / "public").rglob("*"):
        if path.is_file():
            assert b"unsubscribe.invalid" not in path.read_bytes(), path
    link = web_unsubscribe_link(config)
    for issue in result.issues:
        folder = root / "public" / "issues" / issue.slug
        for name, is_html in (("email.html", True), ("email.txt", False)):
            content = (folder / name).read_text(encoding="utf-8")
            assert content.count(link) == 1, name
            assert for_delivery(config, content, html=is_html).count(UNSUBSCRIBE_PLACEHOLDER) == 1
