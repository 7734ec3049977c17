"""XML bombs and external entities in a site index (sitemap, feed) and in an HTML page: no
entity is expanded, no file or URL is read, and the rest of the document is still used."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.sources.related import load_site_index

from .support import HOSTILE, body_text, imported


def test_billion_laughs_in_a_sitemap_is_refused_without_expanding_it() -> None:
    start = time.monotonic()
    with pytest.raises(NewsletterError) as caught:
        load_site_index(["sitemap-billion-laughs.xml"], root=HOSTILE, timeout=1)
    assert time.monotonic() - start < 1
    message = str(caught.value)
    assert message.startswith("sitemap-billion-laughs.xml") and "not valid XML" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("fixture", "url"),
    [
        ("sitemap-external-entity.xml", "https://magazine.example/en/secret/"),
        ("feed-external-entity.atom", "https://magazine.example/en/leak/"),
    ],
)
def test_external_entities_are_kept_as_text_never_resolved(fixture: str, url: str) -> None:
    (entry,) = load_site_index([fixture], root=HOSTILE, timeout=1).entries
    assert entry.url == url
    assert "&xxe;" in (entry.title or "")  # the reference, not the file behind it
    hostname = Path("/etc/hostname")
    for secret in ("root:", (hostname.read_text().strip() if hostname.exists() else "") or "root:"):
        assert secret not in (entry.title or "")


def test_a_doctype_without_entities_is_still_read(tmp_path: Path) -> None:
    # Old RSS 0.91 feeds carry a DOCTYPE; it is never loaded, and the feed is read.
    rss = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        ' "http://127.0.0.1:9/rss-0.91.dtd">\n<rss version="0.91"><channel><title>M</title>'
        "<item><title>Kept</title><link>https://magazine.example/kept/</link></item></channel></rss>"
    )
    (tmp_path / "feed.rss").write_text(rss)
    index = load_site_index(["feed.rss"], root=tmp_path, timeout=1)
    assert index.find("Kept") == "https://magazine.example/kept/"


@pytest.mark.parametrize("fixture", ["html-external-entity.html"])
def test_entities_declared_in_an_html_page_stay_unexpanded(fixture: str, tmp_path: Path) -> None:
    text = body_text(imported(fixture, tmp_path).article)
    assert "The second paragraph stays." in text
    assert "root:" not in text and "lollollol" not in text
