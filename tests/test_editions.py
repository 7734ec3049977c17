"""A newsletter in three editions: each its own archive, feeds, masthead, footer and sender."""

from __future__ import annotations

import email
import json
import re
import shutil
from email import policy
from pathlib import Path

import feedparser
import pytest
from conftest import built_message_of, run_alone
from reader import make_reader

from newsletter.build import build
from newsletter.config import load_config
from newsletter.errors import NewsletterError

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = ROOT / "tests" / "data" / "editions"
DE_ID = "tag:novastan.org,2025-11-20:kasachstan-abraham-abkommen"
FR_ID = "tag:novastan.org,2025-11-21:kazakhstan-accords-abraham"


def _newsletter(root: Path) -> Path:
    shutil.copytree(EDITIONS, root, dirs_exist_ok=True)
    shutil.copytree(ROOT / "templates", root / "templates")
    build(load_config(root / "newsletter.toml"), root / "public", use_cache=False)
    return root / "public"


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _newsletter(tmp_path_factory.mktemp("editions"))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_each_edition_has_its_archive_and_feeds_and_the_combined_ones_stay(public: Path) -> None:
    for prefix in ("", "de/", "fr/", "en/"):
        for name in ("index.html", "feed.atom", "feed.rss", "feed.json"):
            assert (public / prefix / name).is_file(), prefix + name


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss"])
def test_an_editions_feed_has_its_language_title_and_issues_only(public: Path, name: str) -> None:
    fr = feedparser.parse((public / "fr" / name).read_bytes())
    assert not fr.bozo, fr.bozo_exception
    assert fr.feed.title == "La lettre de Novastan"
    assert fr.feed.language == "fr"
    assert [e.id for e in fr.entries] == [FR_ID]
    assert fr.feed.link == "https://newsletter.novastan.org/fr/"
    de = feedparser.parse((public / "de" / name).read_bytes())
    assert de.feed.language == "de" and de.feed.title == "Novastan Newsletter"
    assert [e.id for e in de.entries] == [DE_ID]
    combined = feedparser.parse((public / name).read_bytes())
    assert {e.id for e in combined.entries} == {DE_ID, FR_ID}


def test_the_edition_feeds_have_their_own_ids(public: Path) -> None:
    ids = {feedparser.parse((public / p).read_bytes()).feed.id for p in ("feed.atom", "de/feed.atom")}
    ids.add(feedparser.parse((public / "fr/feed.atom").read_bytes()).feed.id)
    assert ids == {
        "tag:novastan.org,2025:newsletter",
        "tag:novastan.org,2025:newsletter/de",
        "tag:novastan.org,2025:newsletter/fr",
    }


def test_an_editions_json_feed(public: Path) -> None:
    feed = json.loads((public / "fr" / "feed.json").read_bytes())
    assert feed["language"] == "fr" and feed["title"] == "La lettre de Novastan"
    assert feed["feed_url"] == "https://newsletter.novastan.org/fr/feed.json"
    assert [i["id"] for i in feed["items"]] == [FR_ID]


def test_reader_reads_each_editions_feed(public: Path, tmp_path: Path) -> None:
    reader = make_reader(str(tmp_path / "reader.sqlite"), feed_root=str(public))
    try:
        for feed in ("de/feed.atom", "fr/feed.atom", "en/feed.atom"):
            reader.add_feed(feed)
        for result in reader.update_feeds_iter(scheduled=False):
            assert not isinstance(result.value, Exception), result.value
        assert {e.id for e in reader.get_entries(feed="fr/feed.atom")} == {FR_ID}
        assert {e.id for e in reader.get_entries(feed="de/feed.atom")} == {DE_ID}
        assert list(reader.get_entries(feed="en/feed.atom")) == []
        assert reader.get_feed("fr/feed.atom").title == "La lettre de Novastan"
    finally:
        reader.close()


def test_an_editions_archive_lists_its_issues_and_links_the_others(public: Path) -> None:
    page = (public / "fr" / "index.html").read_text()
    assert '<html lang="fr"' in page and "<h1>La lettre de Novastan</h1>" in page
    assert "kazakhstan-accords-abraham" in page and "kasachstan-abraham-abkommen" not in page
    assert 'href="https://newsletter.novastan.org/fr/feed.atom"' in page
    assert '<link rel="alternate" hreflang="de" href="https://newsletter.novastan.org/de/">' in page
    assert 'aria-current="true">Français</a>' in page
    assert '<input type="hidden" name="language" value="fr">' in page  # the form picks the edition


def test_an_issue_page_names_its_editions_archive_and_feeds(public: Path) -> None:
    page = (public / "issues" / "kazakhstan-accords-abraham" / "index.html").read_text()
    assert '<a class="home" href="https://newsletter.novastan.org/fr/">' in page
    assert 'href="https://newsletter.novastan.org/fr/feed.rss"' in page
    assert "Novastan France · Mentions légales" in page
    assert "https://twitter.com/Novastan_fr" in page and "NovastanDE" not in page
    assert '<input type="hidden" name="language" value="fr">' in page


def test_the_email_has_its_editions_masthead_footer_and_sender(public: Path) -> None:
    fr = public / "issues" / "kazakhstan-accords-abraham"
    html = (fr / "email.html").read_text()
    assert '<p class="masthead"' in html and ">Novastan France</p>" in html
    assert "https://twitter.com/Novastan_fr" in html and "NovastanDE" not in html
    assert "Novastan France · Mentions légales" in html
    text = (fr / "email.txt").read_text()
    assert text.startswith("Novastan France\n") and "Novastan France · Mentions légales" in text
    message = email.message_from_bytes(built_message_of(fr), policy=policy.default)
    assert message["From"] == "Novastan France <newsletter@novastan.org>"
    de = public / "issues" / "kasachstan-abraham-abkommen"
    german = email.message_from_bytes(built_message_of(de), policy=policy.default)
    assert german["From"] == "Novastan <newsletter@novastan.org>"
    assert "https://twitter.com/NovastanDE" in (de / "email.html").read_text()


def test_an_edition_with_an_empty_social_list_shows_none(tmp_path: Path) -> None:
    config = load_config(EDITIONS / "newsletter.toml")
    assert config.site.for_edition("en").social == ()
    assert config.site.for_edition("en").imprint == "Novastan e.V. · Impressum"  # the site's
    assert config.site.for_edition("de") is config.site


def test_a_trilingual_build_is_the_same_bytes_twice(public: Path, tmp_path: Path) -> None:
    assert _files(_newsletter(tmp_path / "again")) == _files(public)


def test_a_one_edition_newsletter_has_no_edition_folders(tmp_path: Path) -> None:
    root = tmp_path / "one"
    (root / "issues").mkdir(parents=True)
    config = (EDITIONS / "newsletter.toml").read_text().split("[editions.de]")[0]
    (root / "newsletter.toml").write_text(config)
    shutil.copy(ROOT / "tests" / "data" / "email" / "kasachstan-abraham-abkommen.md", root / "issues")
    shutil.copytree(ROOT / "templates", root / "templates")
    build(load_config(root / "newsletter.toml"), root / "public")
    assert not (root / "public" / "de").exists()
    page = (root / "public" / "index.html").read_text()
    assert 'class="editions"' not in page and "hreflang" not in page


# --- translations linked ------------------------------------------------------------------


def test_an_issue_page_links_its_translations_with_hreflang(public: Path) -> None:
    page = (public / "issues" / "kazakhstan-accords-abraham" / "index.html").read_text()
    assert (
        '<link rel="alternate" hreflang="fr" href="https://newsletter.novastan.org/issues/kazakhstan-accords-abraham/">'
        in page
    )
    assert (
        '<link rel="alternate" hreflang="de" href="https://newsletter.novastan.org/issues/kasachstan-abraham-abkommen/">'
        in page
    )
    assert (
        'hreflang="en" href="https://novastan.org/en/kazakhstan/kazakhstan-joins-the-abraham-accords/"'
        in page
    )
    german = "https://newsletter.novastan.org/issues/kasachstan-abraham-abkommen/"
    assert f'<a href="{german}" hreflang="de">Lire cet article en allemand</a>' in page
    assert "Traduit de l’allemand par Claire Martin" in page


def test_the_email_and_text_part_name_the_translation_and_the_source_language(public: Path) -> None:
    de = public / "issues" / "kasachstan-abraham-abkommen"
    html = (de / "email.html").read_text()
    assert "Aus dem Englischen von Margaret Bullich" in html
    assert 'hreflang="fr"' in html and ">Diesen Artikel auf Französisch lesen</a>" in html
    text = (de / "email.txt").read_text()
    assert (
        "Diesen Artikel auf Französisch lesen:\nhttps://newsletter.novastan.org/issues/kazakhstan-accords-abraham/"
        in text
    )
    assert "Aus dem Englischen von Margaret Bullich" in text


@pytest.mark.parametrize("feed", ["feed.atom", "fr/feed.atom"])
def test_atom_entries_carry_their_translations_as_hreflang_alternates(public: Path, feed: str) -> None:
    parsed = feedparser.parse((public / feed).read_bytes())
    (entry,) = [e for e in parsed.entries if e.id == FR_ID]
    assert entry.link == "https://newsletter.novastan.org/issues/kazakhstan-accords-abraham/"
    alternates = {(link.get("hreflang"), link.href) for link in entry.links if link.rel == "alternate"}
    assert alternates == {
        (None, "https://newsletter.novastan.org/issues/kazakhstan-accords-abraham/"),
        ("de", "https://newsletter.novastan.org/issues/kasachstan-abraham-abkommen/"),
        ("en", "https://novastan.org/en/kazakhstan/kazakhstan-joins-the-abraham-accords/"),
    }


def test_reader_keeps_the_entrys_own_link_beside_the_translations(public: Path, tmp_path: Path) -> None:
    reader = make_reader(str(tmp_path / "reader.sqlite"), feed_root=str(public))
    try:
        reader.add_feed("fr/feed.atom")
        reader.update_feeds()
        entry = reader.get_entry(("fr/feed.atom", FR_ID))
        assert entry.link == "https://newsletter.novastan.org/issues/kazakhstan-accords-abraham/"
    finally:
        reader.close()


def test_the_json_feed_names_translations_and_the_source_language(public: Path) -> None:
    (item,) = json.loads((public / "fr" / "feed.json").read_bytes())["items"]
    assert item["_newsletter"]["translated_from"] == "de"
    assert item["_newsletter"]["translations"][0] == {
        "language": "de",
        "url": "https://newsletter.novastan.org/issues/kasachstan-abraham-abkommen/",
    }


def test_a_translation_naming_no_issue_fails_the_build(tmp_path: Path) -> None:
    root = tmp_path / "news"
    shutil.copytree(EDITIONS, root)
    shutil.copytree(ROOT / "templates", root / "templates")
    (root / "issues" / "2025-11-20-kasachstan-abraham-abkommen.md").unlink()
    with pytest.raises(NewsletterError, match="no issue has the slug 'kasachstan-abraham-abkommen'"):
        build(load_config(root / "newsletter.toml"), root / "public")
    assert not (root / "public").exists()


# --- the original article -----------------------------------------------------------------

FR_ORIGINAL = "https://novastan.org/fr/kazakhstan/adhesion-du-kazakhstan-aux-accords-abraham/"


def test_the_email_text_and_page_link_the_original_article_by_its_site(public: Path) -> None:
    fr = public / "issues" / "kazakhstan-accords-abraham"
    link = f'<a href="{FR_ORIGINAL}">Article original sur novastan.org</a>'
    email_html = (fr / "email.html").read_text()
    assert (
        f'<a href="{FR_ORIGINAL}" style=' in email_html
        and "Article original sur novastan.org</a>" in email_html
    )
    assert link in (fr / "index.html").read_text()
    assert f"Article original sur novastan.org\u202f:\n{FR_ORIGINAL}" in (fr / "email.txt").read_text()
    de = (public / "issues" / "kasachstan-abraham-abkommen" / "index.html").read_text()
    assert "Originalartikel auf novastan.org</a>" in de


def test_the_feeds_link_the_original_article(public: Path) -> None:
    parsed = feedparser.parse((public / "fr" / "feed.atom").read_bytes())
    (entry,) = parsed.entries
    assert {link.href for link in entry.links if link.rel == "via"} == {FR_ORIGINAL}
    assert entry.link == "https://newsletter.novastan.org/issues/kazakhstan-accords-abraham/"
    assert "Article original sur novastan.org</a>" in entry.content[0].value  # what readers show
    rss = feedparser.parse((public / "fr" / "feed.rss").read_bytes())
    assert "Article original sur novastan.org</a>" in rss.entries[0].content[0].value
    (item,) = json.loads((public / "fr" / "feed.json").read_bytes())["items"]
    assert item["external_url"] == FR_ORIGINAL


_BUILT_TWICE = """
import sys
from pathlib import Path

from newsletter.build import build
from newsletter.config import load_config
from newsletter.outputs import feeds

root = Path(sys.argv[1])
config = load_config(root / "newsletter.toml")
build(config, root / "shared", use_cache=False, jobs=2)
feeds.plan_shared_entries = lambda documents: None  # nothing planned: every document made whole
build(config, root / "whole", use_cache=False, jobs=2)
"""


def test_entries_written_once_for_the_site_and_its_edition_change_no_byte(tmp_path: Path) -> None:
    """A trilingual build writes an entry that the site's feeds and its edition's hold alike
    once (processes forked for the documents, as a build's are): every file is the bytes of a
    build that makes each document whole. Feed pages of two entries, so each feed has archives."""
    root = tmp_path / "three"
    shutil.copytree(EDITIONS, root)
    shutil.copytree(ROOT / "templates", root / "templates")
    toml = root / "newsletter.toml"
    toml.write_text(toml.read_text().replace("[site]\n", "[site]\nfeed_size = 2\n", 1))
    for source in sorted((root / "issues").glob("*.md")):
        text = source.read_text()
        for n in range(1, 10):  # nine more of each: other ids and dates
            copy = re.sub(r'(?m)^id: "(.*)"$', rf'id: "\1-{n}"', text)
            copy = re.sub(r"(?m)^date: 2025-11-\d\d", f"date: 2025-10-{n:02d}", copy)
            (root / "issues" / f"2025-10-{n:02d}-{source.stem[11:]}-{n}.md").write_text(copy)
    run_alone(_BUILT_TWICE, str(root))
    shared, whole = _files(root / "shared"), _files(root / "whole")
    assert len(shared) > 60 and any(name.startswith("de/archive/") for name in shared)
    assert shared == whole
