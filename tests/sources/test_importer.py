"""`import_article`: a source file -> a new issue file that reads back through read_issue."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bench.measure import free_port
from newsletter.config import Config, ImportConfig, load_config
from newsletter.errors import NewsletterError
from newsletter.html_tree import LINKABLE, html_tree
from newsletter.sources.importer import detect_format, import_article
from newsletter.sources.markdown import read_issue

REPO = Path(__file__).parents[2]
DATA = REPO / "tests" / "data"
SAMPLE_COPY = DATA / "text" / "novastan-sample.de.txt"
SAMPLE_SHARED = REPO.parent / "shared" / "samples" / "novastan-kasachstan-abraham-abkommen.de.txt"
SAMPLE = SAMPLE_COPY if SAMPLE_COPY.exists() else SAMPLE_SHARED
WHEN = dt.datetime(2025, 11, 20, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.fixture
def config() -> Config:
    return load_config(REPO / "newsletter.toml")


def test_sample_end_to_end(config: Config, tmp_path: Path) -> None:
    path = import_article(str(SAMPLE), config=config, date=WHEN, out_dir=tmp_path)
    assert path.parent == tmp_path and path.name.startswith("2025-11-20-kasachstan-beitritt")
    issue = read_issue(path)
    a = issue.article
    assert issue.id == f"tag:newsletter.novastan.org,2025-11-20:{issue.slug}"
    assert (issue.language, issue.date) == ("de", WHEN)
    assert a.title == "Kasachstan Beitritt zu den Abraham-Abkommen: Wird sich Washingtons Geste auszahlen?"
    assert [p.name for p in a.authors] == ["Joseph Fischer"]
    assert [p.name for p in a.translators] == ["Margaret Bullich"]
    assert [r.title for r in a.related] == [
        "China in Zentralasien – Factchecking, um mit Mythen aufzuräumen",
        "Was sind die Ergebnisse des USA-Zentralasien-Gipfels in Washington?",
        "Wladimir Putin in Kirgistan: Rückblick auf einen symbolträchtigen Staatsbesuch",
    ]
    assert all(r.url and r.url.startswith("https://novastan.org/de/?s=") for r in a.related)
    assert len(a.headings) == 3 and "Ein geopolitischer Kurswechsel?" in a.headings
    paragraphs = [b.text for s in a.sections for b in s.blocks if b.kind == "paragraph"]
    assert paragraphs[0].startswith("Zwei Jahre nach Beginn des Krieges in Gaza")
    assert any(p.startswith("Im Gegensatz zu allen bisherigen Mitgliedern") for p in paragraphs)
    body = "\n".join(paragraphs)
    for gone in ("Unterstützt Novastan", "vereinsgetragene", "Social Media Kanälen"):
        assert gone not in body
    related_marks = [b.related_index for s in a.sections for b in s.blocks if b.kind == "related"]
    assert related_marks == [0, 1, 2]


def test_same_input_gives_identical_bytes(config: Config, tmp_path: Path) -> None:
    one = import_article(str(SAMPLE), config=config, date=WHEN, out_dir=tmp_path / "a")
    two = import_article(str(SAMPLE), config=config, date=WHEN, out_dir=tmp_path / "b")
    assert one.read_bytes() == two.read_bytes()


def test_refuses_to_overwrite(config: Config, tmp_path: Path) -> None:
    import_article(str(SAMPLE), config=config, date=WHEN, out_dir=tmp_path)
    with pytest.raises(NewsletterError, match="already exists; pass --slug"):
        import_article(str(SAMPLE), config=config, date=WHEN, out_dir=tmp_path)
    other = import_article(str(SAMPLE), config=config, date=WHEN, out_dir=tmp_path, slug="abraham")
    assert other.name == "2025-11-20-abraham.md"
    assert read_issue(other).id == "tag:newsletter.novastan.org,2025-11-20:abraham"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


@pytest.mark.parametrize("slug", ["../escape", "a/b", "Großbuchstaben", ""])
def test_refuses_slugs_with_path_parts_or_odd_characters(config: Config, tmp_path: Path, slug: str) -> None:
    with pytest.raises(NewsletterError, match="--slug"):
        import_article(str(SAMPLE), config=config, date=WHEN, out_dir=tmp_path, slug=slug)


def test_related_links_resolved_from_the_site_index(config: Config, tmp_path: Path) -> None:
    importing = ImportConfig(site_index=(str(DATA / "related" / "sitemap-index.xml"),))
    cfg = replace(config, importing=importing)
    issue = read_issue(import_article(str(SAMPLE), config=cfg, date=WHEN, out_dir=tmp_path))
    urls = [r.url for r in issue.article.related]
    assert urls[0] == (
        "https://example.org/de/zentralasien/china-in-zentralasien-factchecking-um-mit-mythen-aufzuraeumen/"
    )
    assert urls[2] == "https://example.org/de/kirgistan/putin-staatsbesuch/"


def test_french_dump_gets_the_french_search_page(config: Config, tmp_path: Path) -> None:
    source = DATA / "text" / "novastan-glued-donation.fr.txt"
    issue = read_issue(import_article(str(source), config=config, date=WHEN, out_dir=tmp_path))
    assert issue.language == "fr"
    assert issue.article.related[0].url == (
        "https://novastan.org/fr/?s=La+Chine+en+Asie+centrale%E2%80%AF%3A+mythes+et+r%C3%A9alit%C3%A9s"
    )


def test_no_search_url_leaves_related_without_url(config: Config, tmp_path: Path) -> None:
    cfg = replace(config, site=replace(config.site, editions={}))
    issue = read_issue(import_article(str(SAMPLE), config=cfg, date=WHEN, out_dir=tmp_path))
    assert [r.url for r in issue.article.related] == [None, None, None]


def test_extra_profile_from_config(config: Config, tmp_path: Path) -> None:
    cfg = replace(config, importing=ImportConfig(profile_dirs=(DATA / "import" / "profiles",)))
    source = DATA / "import" / "examplemag-article.en.txt"
    issue = read_issue(import_article(str(source), config=cfg, date=WHEN, out_dir=tmp_path))
    a = issue.article
    assert [p.name for p in a.authors] == ["Lola Yusupova"]
    assert [r.title for r in a.related] == ["Tashkent metro turns fifty"]
    body = " ".join(b.text for s in a.sections for b in s.blocks)
    assert "needs you" not in body and "member" not in body and "Follow Example Mag" not in body
    assert body.endswith("at full frequency.")


def test_explicit_generic_profile(config: Config, tmp_path: Path) -> None:
    path = import_article(str(SAMPLE), config=config, date=WHEN, out_dir=tmp_path, profile="generic")
    a = read_issue(path).article
    assert a.related == ()  # generic rules know no "Lest auch auf Novastan:"
    assert a.title.startswith("Kasachstan Beitritt")


def test_markdown_with_front_matter_keeps_its_date_and_applies_rules(config: Config, tmp_path: Path) -> None:
    path = import_article(str(DATA / "import" / "front-matter.md"), config=config, out_dir=tmp_path)
    issue = read_issue(path)
    assert path.name == "2025-10-01-ein-artikel-aus-markdown.md"
    assert issue.date == dt.datetime(2025, 10, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert [p.name for p in issue.article.authors] == ["Erika Muster"]
    assert issue.article.tags == ("Usbekistan",)
    assert [r.title for r in issue.article.related] == ["Ein verwandter Artikel"]
    assert "<em>Betonung</em>" in issue.article.sections[0].blocks[0].html


def test_markdown_title_from_first_heading(config: Config, tmp_path: Path) -> None:
    path = import_article(
        str(DATA / "import" / "heading-title.md"), config=config, date=WHEN, out_dir=tmp_path
    )
    issue = read_issue(path)
    a = issue.article
    assert a.title == "A Markdown article without front matter"
    assert issue.language == "en"
    assert a.headings == ("A subheading",)
    assert [p.name for p in a.authors] == ["Pat Doe"]
    assert [r.title for r in a.related] == ["A related article"]
    assert a.sections[0].blocks[0].text == "The first paragraph, which has to stay."


def test_without_a_date_the_import_time_is_local_and_aware(config: Config, tmp_path: Path) -> None:
    issue = read_issue(import_article(str(SAMPLE), config=config, out_dir=tmp_path))
    assert issue.date.tzinfo is not None
    assert abs(issue.date - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_default_out_dir_is_the_issues_folder(config: Config, tmp_path: Path) -> None:
    cfg = replace(config, root=tmp_path)
    shutil.copy(SAMPLE, tmp_path / "dump.txt")
    path = import_article(str(tmp_path / "dump.txt"), config=cfg, date=WHEN)
    assert path.parent == tmp_path / "issues"


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("empty.txt", r"empty\.txt: is empty"),
        ("only-title.txt", r"only-title\.txt: has a title .* but no body paragraphs"),
        ("binary.bin", r"binary\.bin: is a binary file"),
        ("missing.txt", r"missing\.txt: no such file"),
    ],
)
def test_errors_name_the_source(config: Config, tmp_path: Path, fixture: str, message: str) -> None:
    with pytest.raises(NewsletterError, match=message):
        import_article(str(DATA / "import" / fixture), config=config, date=WHEN, out_dir=tmp_path)
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_source_too_large(config: Config, tmp_path: Path) -> None:
    cfg = replace(config, limits=replace(config.limits, max_source_bytes=100))
    with pytest.raises(NewsletterError, match="over the limit"):
        import_article(str(SAMPLE), config=cfg, date=WHEN, out_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("<!DOCTYPE html>\n<html><body></body></html>", "html"),
        ("<div><article><p>x</p></article></div>", "html"),
        ("---\ntitle: x\n---\nBody", "markdown"),
        ("# Title\n\nBody", "markdown"),
        ("Body line.\nTitle", "text"),
        ("Price < 5 and #hashtag\nTitle", "text"),
    ],
)
def test_detect_format(text: str, fmt: str) -> None:
    assert detect_format(text) == fmt


def test_html_page_goes_through_the_html_reader(config: Config, tmp_path: Path) -> None:
    source = DATA / "import" / "article-page.de.html"
    issue = read_issue(import_article(str(source), config=config, out_dir=tmp_path))
    a = issue.article
    assert a.title == "Kirgistan baut ein Solarkraftwerk"
    assert issue.language == "de"
    assert [r.title for r in a.related] == ["Wasserkraft in Zentralasien: Segen oder Risiko?"]
    assert all(r.url for r in a.related)  # resolved by the edition's search page


def test_imports_a_page_over_http_from_loopback(config: Config, tmp_path: Path) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    served = tmp_path / "site"
    (served / "de" / "artikel").mkdir(parents=True)
    shutil.copy(DATA / "html" / "yoast-novastan-de.html", served / "de" / "artikel" / "index.html")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/de/artikel/"
        path = import_article(url, config=config, out_dir=tmp_path / "issues")
    finally:
        server.shutdown()
    issue = read_issue(path)
    assert issue.article.title
    assert issue.article.sections and any(s.blocks for s in issue.article.sections)
    # links in the page are absolute: resolved against the page (or its canonical URL)
    for section in issue.article.sections:
        for block in section.blocks:
            for a in html_tree(block.html).find_all(("a",)):
                assert str(a.get("href")).startswith(LINKABLE)


def test_unreachable_url_is_one_line(config: Config, tmp_path: Path) -> None:
    port = free_port()  # a loopback port nobody listens on
    with pytest.raises(NewsletterError) as e:
        import_article(f"http://127.0.0.1:{port}/nothing", config=config, out_dir=tmp_path)
    assert "127.0.0.1" in str(e.value) and "\n" not in str(e.value)


def test_lang_outside_the_editions_fails_before_reading(config: Config, tmp_path: Path) -> None:
    with pytest.raises(NewsletterError) as e:
        import_article(str(tmp_path / "not-read.txt"), config=config, language="kk", out_dir=tmp_path)
    assert str(e.value) == (
        "language 'kk' is not an edition of this newsletter; use one of de, fr, en, "
        "or add an [editions.kk] table to newsletter.toml"
    )


def test_a_regional_page_language_becomes_its_edition(config: Config, tmp_path: Path) -> None:
    page = DATA / "html" / "yoast-novastan-de.html"  # <html lang="de-DE">
    issue = read_issue(import_article(str(page), config=config, date=WHEN, out_dir=tmp_path))
    assert issue.language == "de"


def test_a_detected_language_outside_the_editions_is_refused(config: Config, tmp_path: Path) -> None:
    cfg = replace(config, site=replace(config.site, editions={}))  # only the site's de
    page = DATA / "html" / "og-meta-microformats-fr.html"
    with pytest.raises(
        NewsletterError, match=r"og-meta-microformats-fr\.html: language 'fr-FR' is not an edition"
    ):
        import_article(str(page), config=cfg, date=WHEN, out_dir=tmp_path)


def test_import_url_gives_up_at_fetch_timeout(config: Config, tmp_path: Path) -> None:
    from test_related import SITEMAP, TricklingServer

    page = b"<html><head><title>t</title></head><body>" + b"x" * 100 + b"</body></html>"
    server = TricklingServer(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + page + SITEMAP)
    slow = replace(config, limits=replace(config.limits, fetch_timeout=1.0))
    try:
        with pytest.raises(NewsletterError, match=r"within 1 s \(\[limits\] fetch_timeout"):
            import_article(server.url, config=slow, out_dir=tmp_path)
    finally:
        server.close()
    assert server.sent < 10


def test_import_links_the_translations_a_page_names_by_hreflang(config: Config, tmp_path: Path) -> None:
    page = DATA / "html" / "hreflang-alternates-de.html"
    path = import_article(str(page), config=config, date=WHEN, out_dir=tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "translations:\n  en: " in text and "\n  fr: " in text
    translations = read_issue(path).article.translations
    assert [(t.language, t.target) for t in translations] == [
        ("en", "https://novastan.org/en/kazakhstan/kazakhstan-joins-the-abraham-accords/"),
        ("fr", "https://novastan.org/fr/kazakhstan/adhesion-du-kazakhstan-aux-accords-abraham/"),
    ]  # fr-FR is the fr edition, the relative link made absolute; not de, x-default or javascript:
