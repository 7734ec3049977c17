"""Related links: site index (sitemaps, feeds) first, then the edition's search page."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.model import RelatedLink
from newsletter.sources.related import (
    SiteIndex,
    load_site_index,
    normalize_title,
    resolve_related,
    url_slug,
)

RELATED = Path(__file__).parents[1] / "data" / "related"
PUTIN = "Wladimir Putin in Kirgistan: Rückblick auf einen symbolträchtigen Staatsbesuch"
CHINA = "China in Zentralasien – Factchecking, um mit Mythen aufzuräumen"


def index(*names: str) -> SiteIndex:
    return load_site_index(list(names), root=RELATED, timeout=1.0)


def test_normalized_titles_ignore_case_accents_dashes_quotes_and_spacing() -> None:
    a = normalize_title("Putin in Kirgistan – Rückblick auf einen „symbolträchtigen“ Besuch")
    b = normalize_title('putin in kirgistan - ruckblick auf einen "symboltrachtigen" besuch ')
    assert a == b == "putin in kirgistan ruckblick auf einen symboltrachtigen besuch"
    assert normalize_title("L’Asie centrale\u202f: mythes") == normalize_title("L'Asie centrale: mythes")


def test_url_slug_is_the_last_path_segment() -> None:
    assert url_slug("https://example.org/de/kirgistan/putin-staatsbesuch/") == "putin-staatsbesuch"
    assert url_slug("https://example.org/") == ""


def test_sitemap_news_title_prefers_the_edition_language() -> None:
    idx = index("sitemap-news-titles.xml")
    assert idx.find(PUTIN, "de") == "https://example.org/de/kirgistan/putin-staatsbesuch/"
    assert idx.find(PUTIN, "fr") == "https://example.org/fr/kirghizstan/putin-visite/"
    assert idx.find("Wladimir Putin in Kirgistan – Rückblick auf einen symbolträchtigen Staatsbesuch", "de")


def test_sitemap_without_titles_matches_slugs_with_umlauts_spelled_out() -> None:
    idx = index("sitemap-slugs-only.xml")
    url = idx.find(CHINA, "de")
    assert (
        url
        == "https://example.org/de/zentralasien/china-in-zentralasien-factchecking-um-mit-mythen-aufzuraeumen/"
    )
    assert idx.find("Ein ganz anderer Artikel", "de") is None


def test_sitemap_index_reads_child_sitemaps_from_beside_it() -> None:
    idx = index("sitemap-index.xml")
    assert idx.find(PUTIN, "de") and idx.find(CHINA, "de")


def test_atom_and_rss_feeds() -> None:
    idx = index("feed.atom", "feed.rss")
    assert idx.find("La Chine en Asie centrale\u202f: mythes et réalités", "fr") == (
        "https://example.org/fr/chine-asie-centrale-mythes/"
    )
    assert idx.find("Aral Sea – can the northern part be saved?", "en") == (
        "https://example.org/en/aral-sea-northern-part/"
    )


def test_entities_are_never_expanded() -> None:
    entries = index("entities.xml").entries
    assert len(entries) == 1
    title = entries[0].title or ""
    assert "lollollol" not in title and len(title) < 100


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("not-xml.xml", r"not-xml\.xml:1: is not valid XML"),
        ("unknown-root.xml", r"unknown-root\.xml: is neither a sitemap nor an Atom/RSS feed"),
        ("missing.xml", r"missing\.xml: no such file"),
    ],
)
def test_bad_index_sources_name_the_file(fixture: str, message: str) -> None:
    with pytest.raises(NewsletterError, match=message):
        index(fixture)


def test_resolve_index_first_then_search_then_none() -> None:
    links = (
        RelatedLink(PUTIN),
        RelatedLink("Ein unbekannter Artikel über Öl & Gas"),
        RelatedLink("Schon verlinkt", "https://example.org/de/schon/"),
    )
    idx = index("sitemap-news-titles.xml")
    resolved = resolve_related(
        links, language="de", index=idx, search_url="https://example.org/de/?s={query}"
    )
    assert [r.url for r in resolved] == [
        "https://example.org/de/kirgistan/putin-staatsbesuch/",
        "https://example.org/de/?s=Ein+unbekannter+Artikel+%C3%BCber+%C3%96l+%26+Gas",
        "https://example.org/de/schon/",
    ]
    unresolved = resolve_related(links, language="de", index=None, search_url=None)
    assert [r.url for r in unresolved] == [None, None, "https://example.org/de/schon/"]
