"""Related links: site index (sitemaps, feeds) first, then the edition's search page."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.model import RelatedLink
from newsletter.sources.related import (
    SiteIndex,
    load_site_index,
    normalize_title,
    read_location,
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


# --- fetch_timeout is a deadline for the whole fetch ---------------------------------------------


class TricklingServer:
    """A loopback HTTP server sending its answer one byte every 0.5 s; counts what it sent."""

    def __init__(self, answer: bytes):
        self.answer, self.sent = answer, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/sitemap.xml"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.recv(65536)
            for i in range(len(self.answer)):
                try:
                    conn.sendall(self.answer[i : i + 1])
                except OSError:
                    return
                self.sent += 1
                time.sleep(0.5)

    def close(self) -> None:
        self.listener.close()


SITEMAP = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(SITEMAP), SITEMAP),  # a slow body
        b"HTTP/1.0 200 OK\r\n\r\n" + SITEMAP,  # no length: the body ends where the socket closes
        b"HTTP/1.0 200 OK\r\nX-Slow: " + b"x" * 200 + b"\r\n\r\n",  # slow headers
    ],
    ids=["body", "body-without-length", "headers"],
)
def test_a_trickling_server_is_given_up_on_at_the_deadline(answer: bytes) -> None:
    server = TricklingServer(answer)
    try:
        with pytest.raises(NewsletterError, match=r"did not arrive within 1\.5 s \(\[limits\] fetch_timeout"):
            read_location(server.url, root=RELATED, timeout=1.5, max_bytes=1_000_000)
    finally:
        server.close()
    # Given up after about three bytes, not after the whole answer (one byte per 0.5 s, each
    # well within a per-read timeout of 1.5 s).
    assert server.sent < 10 < len(answer)


def test_a_site_index_url_has_the_same_deadline() -> None:
    server = TricklingServer(b"HTTP/1.0 200 OK\r\n\r\n" + SITEMAP)
    try:
        with pytest.raises(NewsletterError, match="fetch_timeout"):
            load_site_index([server.url], root=RELATED, timeout=1.0)
    finally:
        server.close()
    assert server.sent < 10
