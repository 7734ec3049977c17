"""The feeds as real clients see them: feedparser, the `reader` library, and lxml on the raw XML."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import math
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from reader import UpdatedFeed, make_reader

from newsletter.model import Edition, Image, Issue, Site
from newsletter.outputs import feeds
from newsletter.outputs.feeds import (
    Document,
    archive_path,
    edition_documents,
    feed_documents,
    feed_entry,
    plan_shared_entries,
    render_feed_entries,
    render_feeds,
)
from newsletter.xmltext import xml_text

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STRICT = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)

FixtureIssue = Callable[[str], Issue]
Series = Callable[[int], list[Issue]]


def parse_xml(data: bytes) -> etree._Element:
    """Strict XML 1.0 parse: raises on anything a conforming parser would refuse."""
    return etree.fromstring(data, STRICT)


def atom_entries(data: bytes) -> list[etree._Element]:
    return parse_xml(data).findall(f"{ATOM}entry")


def entry_ids(data: bytes) -> list[str]:
    return [e.findtext(f"{ATOM}id") or "" for e in atom_entries(data)]


def feed_links(data: bytes) -> dict[str, str]:
    return {link.get("rel", ""): link.get("href", "") for link in parse_xml(data).findall(f"{ATOM}link")}


def rfc3339(text: str | None) -> dt.datetime:
    assert text, "missing date"
    return dt.datetime.fromisoformat(text)


class MemoryStore:
    """A DocumentStore in a dict, counting what was made."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.stored = 0

    def document(self, key: str) -> bytes | None:
        return self.documents.get(key)

    def store_document(self, key: str, data: bytes) -> None:
        self.documents[key] = data
        self.stored += 1


def test_unchanged_archive_pages_come_from_the_store(site: Site, series: Series, templates_dir: Path):
    small = dataclasses.replace(site, feed_size=10)
    issues = series(35)  # current feed + 3 archive pages (the newest one holds 5)

    def entries(issues: list[Issue]) -> list:
        return [feed_entry(small, i, templates_dir, key=f"{i.id}@{i.last_modified}") for i in issues]

    store = MemoryStore()
    first = render_feed_entries(small, entries(issues), store)
    assert first == render_feeds(small, issues, templates_dir)  # the same bytes either way
    assert store.stored == 6  # atom, 3 archive pages, rss, json
    newest = dataclasses.replace(issues[0], updated=issues[0].date + dt.timedelta(days=1))
    second = render_feed_entries(small, entries([newest, *issues[1:]]), store)
    assert second == render_feeds(small, [newest, *issues[1:]], templates_dir)
    assert store.stored == 6 + 3  # only the documents holding the edited issue: atom, rss, json
    assert all(second[archive_path(n)] == first[archive_path(n)] for n in (1, 2, 3))
    oldest_gone = issues[:-1]  # every page shifts: nothing stale is taken from the store
    assert render_feed_entries(small, entries(oldest_gone), store) == render_feeds(
        small, oldest_gone, templates_dir
    )


# --- determinism --------------------------------------------------------------------------


def test_two_renders_are_byte_identical(site: Site, all_fixture_issues: list[Issue], templates_dir: Path):
    small = dataclasses.replace(site, feed_size=3)  # archives too
    first = render_feeds(small, all_fixture_issues, templates_dir)
    second = render_feeds(small, list(all_fixture_issues), templates_dir)
    assert set(first) == {"feed.atom", "feed.rss", "feed.json", "archive/1.atom", "archive/2.atom"}
    assert first == second


def test_feed_updated_is_newest_entry_modification_not_now(
    site: Site, fixture_issue: FixtureIssue, templates_dir: Path
):
    # The corrected issue was published first but modified last: it dates the feed.
    issues = [fixture_issue("de-three-related-links"), fixture_issue("updated-after-publication")]
    files = render_feeds(site, issues, templates_dir)
    newest = dt.datetime.fromisoformat("2025-11-25T18:45:00+01:00")
    assert rfc3339(parse_xml(files["feed.atom"]).findtext(f"{ATOM}updated")) == newest
    rss = feedparser.parse(files["feed.rss"])
    assert rss.feed.updated == "Tue, 25 Nov 2025 18:45:00 +0100"  # lastBuildDate


def test_input_order_does_not_matter(site: Site, all_fixture_issues: list[Issue], templates_dir: Path):
    shuffled = all_fixture_issues[1::2] + all_fixture_issues[::2]
    assert render_feeds(site, shuffled, templates_dir) == render_feeds(
        site, all_fixture_issues, templates_dir
    )


def test_no_issues_still_gives_valid_stable_feeds(site: Site, templates_dir: Path):
    files = render_feeds(site, [], templates_dir)
    assert set(files) == {"feed.atom", "feed.rss", "feed.json"}
    assert parse_xml(files["feed.atom"]).findtext(f"{ATOM}updated") == "1970-01-01T00:00:00+00:00"
    assert json.loads(files["feed.json"])["items"] == []
    assert files == render_feeds(site, [], templates_dir)


# --- Atom entries through feedparser ------------------------------------------------------


def test_atom_entry_as_feedparser_reads_it(site: Site, fixture_issue: FixtureIssue, templates_dir: Path):
    issue = fixture_issue("de-three-related-links")
    parsed = feedparser.parse(render_feeds(site, [issue], templates_dir)["feed.atom"])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == site.feed_id
    assert parsed.feed.title == site.title
    assert parsed.feed.subtitle == site.subtitle
    assert parsed.feed.language == "de"
    assert parsed.feed.author == "Novastan"
    assert parsed.feed.rights == site.rights
    assert parsed.feed.icon == site.icon
    assert parsed.feed.logo == site.logo
    assert parsed.feed.generator == "newsletter"

    (entry,) = parsed.entries
    assert entry.id == issue.id
    assert entry.title == issue.article.title
    assert [a.name for a in entry.authors] == ["Joseph Fischer"]
    assert entry.authors[0].href == "https://novastan.org/de/author/joseph-fischer/"
    assert [c.name for c in entry.contributors] == ["Margaret Bullich"]
    assert [t.term for t in entry.tags] == ["Kasachstan", "USA", "Israel"]
    assert entry.published == "2025-11-20T08:00:00+01:00"
    assert entry.updated == "2025-11-20T08:00:00+01:00"
    assert entry.summary == issue.article.summary
    assert entry.content[0].type == "text/html"
    assert "Ein geopolitischer Kurswechsel?" in entry.content[0].value
    assert "related-block" not in entry.content[0].value  # feeds carry rel="related" links instead

    alternates = [link for link in entry.links if link.rel == "alternate"]
    assert [(link.href, link.type) for link in alternates] == [
        ("https://newsletter.example.org/issues/kasachstan-abraham-abkommen/", "text/html")
    ]
    related = [(link.href, link.type, link.title) for link in entry.links if link.rel == "related"]
    assert related == [(r.url, "text/html", r.title) for r in issue.article.related]


def test_related_links_keep_rel_type_title_in_raw_xml(
    site: Site, fixture_issue: FixtureIssue, templates_dir: Path
):
    # feedgen 1.0.0 drops every attribute but href on entry links (upstream issue #135).
    issue = fixture_issue("de-three-related-links")
    (entry,) = atom_entries(render_feeds(site, [issue], templates_dir)["feed.atom"])
    links = [dict(link.attrib) for link in entry.findall(f"{ATOM}link")]
    assert links[0] == {"href": site.issue_url(issue), "rel": "alternate", "type": "text/html"}
    assert links[1:] == [
        {"href": r.url, "rel": "related", "type": "text/html", "title": r.title}
        for r in issue.article.related
    ]


def test_unresolved_and_duplicate_related_links_are_not_linked(
    site: Site, fixture_issue: FixtureIssue, templates_dir: Path
):
    issue = fixture_issue("related-link-unresolved")
    files = render_feeds(site, [issue], templates_dir)
    (entry,) = atom_entries(files["feed.atom"])
    related = [link.attrib["href"] for link in entry.findall(f"{ATOM}link[@rel='related']")]
    assert related == ["https://novastan.org/de/gefunden/"]
    assert entry.find(f"{ATOM}author") is None  # the feed's author covers it (RFC 4287 4.1.2)
    item = json.loads(files["feed.json"])["items"][0]
    assert item["_newsletter"]["related"][0] == {"title": "Noch nicht gefunden"}


def test_entry_in_another_language_has_its_xml_lang(
    site: Site, fixture_issue: FixtureIssue, templates_dir: Path
):
    issues = [fixture_issue("de-three-related-links"), fixture_issue("fr-entry-language")]
    files = render_feeds(site, issues, templates_dir)
    de, fr = atom_entries(files["feed.atom"])
    assert parse_xml(files["feed.atom"]).get(XML_LANG) == "de"
    assert de.get(XML_LANG) is None
    assert fr.get(XML_LANG) == "fr"
    parsed = feedparser.parse(files["feed.atom"])
    assert parsed.entries[1].title_detail.language == "fr"
    assert parsed.entries[1].contributors[0].href == "https://novastan.org/fr/author/elodie-martin/"
    assert "Lire aussi" in parsed.entries[1].content[0].value
    rss = parse_xml(files["feed.rss"])
    languages = [item.findtext("{http://purl.org/dc/elements/1.1/}language") for item in rss.iter("item")]
    assert languages == [None, "fr"]
    assert [i["language"] for i in json.loads(files["feed.json"])["items"]] == ["de", "fr"]


def test_markup_characters_survive_every_format(site: Site, fixture_issue: FixtureIssue, templates_dir: Path):
    issue = fixture_issue("title-with-markup-characters")
    files = render_feeds(site, [issue], templates_dir)
    title = issue.article.title
    for name in ("feed.atom", "feed.rss"):
        parsed = feedparser.parse(files[name])
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        assert parsed.entries[0].title == title
    (entry,) = atom_entries(files["feed.atom"])
    assert entry.findtext(f"{ATOM}title") == title
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Anna & Ben <Redaktion>"
    related = entry.find(f"{ATOM}link[@rel='related']")
    assert related is not None
    assert related.get("title") == '"Seidenstraße" & <Korridor>'
    assert related.get("href") == "https://novastan.org/de/seidenstrasse/?a=1&b=2"
    assert json.loads(files["feed.json"])["items"][0]["title"] == title
    # Readers take an RSS description as HTML, so plain-text "A & B < C" is escaped once more.
    rss_summary = feedparser.parse(files["feed.rss"]).entries[0].summary
    assert rss_summary == html.escape(issue.article.summary, quote=False)


@pytest.mark.parametrize(
    ("fixture", "title", "summary"),
    [
        ("control-characters", "VertikalerTab undTrenner", "Zusammenfassung"),
        ("lone-surrogate", "Halbes Zeichen 😀", "Kaputt"),
    ],
)
def test_characters_xml_cannot_carry_are_stripped(
    site: Site, fixture_issue: FixtureIssue, templates_dir: Path, fixture: str, title: str, summary: str
):
    files = render_feeds(site, [fixture_issue(fixture)], templates_dir)  # feedgen alone raises here
    (entry,) = atom_entries(files["feed.atom"])  # strict parse: no forbidden character left
    assert entry.findtext(f"{ATOM}title") == title
    assert entry.findtext(f"{ATOM}summary") == summary
    parse_xml(files["feed.rss"])
    for name in ("feed.atom", "feed.rss"):
        parsed = feedparser.parse(files[name])
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        assert parsed.entries[0].title == title
    item = json.loads(files["feed.json"].decode("utf-8"))["items"][0]
    assert (item["title"], item["summary"]) == (title, summary)
    assert xml_text(item["content_html"]) == item["content_html"]


def test_updated_issue_has_distinct_published_and_updated(
    site: Site, fixture_issue: FixtureIssue, templates_dir: Path
):
    files = render_feeds(site, [fixture_issue("updated-after-publication")], templates_dir)
    (entry,) = feedparser.parse(files["feed.atom"]).entries
    assert entry.published == "2025-10-16T08:00:00+02:00"
    assert entry.updated == "2025-11-25T18:45:00+01:00"
    assert [a.name for a in entry.authors] == ["Margaret Bullich", "Joseph Fischer"]
    item = json.loads(files["feed.json"])["items"][0]
    assert (item["date_published"], item["date_modified"]) == (
        "2025-10-16T08:00:00+02:00",
        "2025-11-25T18:45:00+01:00",
    )


# --- RSS 2.0 and JSON Feed 1.1 ------------------------------------------------------------


def test_rss_items(site: Site, fixture_issue: FixtureIssue, templates_dir: Path):
    issues = [fixture_issue("de-three-related-links"), fixture_issue("updated-after-publication")]
    files = render_feeds(site, issues, templates_dir)
    parsed = feedparser.parse(files["feed.rss"])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == site.title
    assert parsed.feed.link == site.base_url
    assert parsed.feed.subtitle == site.subtitle
    assert parsed.feed.language == "de"
    assert parsed.feed.rights == site.rights
    first, second = parsed.entries
    assert first.id == issues[0].id
    assert first.guidislink is False
    assert first.link == site.issue_url(issues[0])
    assert first.published == "Thu, 20 Nov 2025 08:00:00 +0100"
    assert first.summary == issues[0].article.summary
    assert "Ein geopolitischer Kurswechsel?" in first.content[0].value
    assert first.author == "Joseph Fischer"
    assert [t.term for t in first.tags] == ["Kasachstan", "USA", "Israel"]

    channel = parse_xml(files["feed.rss"]).find("channel")
    assert channel is not None
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None
    assert self_link.attrib == {
        "href": site.base_url + "feed.rss",
        "rel": "self",
        "type": "application/rss+xml",
    }
    creators = [c.text for c in channel.iter("{http://purl.org/dc/elements/1.1/}creator")]
    assert creators == ["Joseph Fischer", "Margaret Bullich", "Joseph Fischer"]
    guid = channel.find("item/guid")
    assert guid is not None
    assert guid.get("isPermaLink") == "false"
    assert second.id == issues[1].id


def test_json_feed(site: Site, fixture_issue: FixtureIssue, templates_dir: Path):
    issue = fixture_issue("de-three-related-links")
    feed = json.loads(render_feeds(site, [issue], templates_dir)["feed.json"])
    assert list(feed) == [
        "version", "title", "home_page_url", "feed_url", "description", "icon", "favicon",
        "language", "authors", "items",
    ]  # fmt: skip
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://newsletter.example.org/feed.json"
    (item,) = feed["items"]
    assert list(item) == [
        "id", "url", "title", "content_html", "summary", "date_published", "date_modified",
        "authors", "tags", "language", "_newsletter",
    ]  # fmt: skip
    assert item["id"] == issue.id
    assert item["authors"] == [
        {"name": "Joseph Fischer", "url": "https://novastan.org/de/author/joseph-fischer/"}
    ]
    assert item["_newsletter"] == {
        "related": [{"title": r.title, "url": r.url} for r in issue.article.related],
        "translators": [{"name": "Margaret Bullich"}],
    }


def test_json_feed_is_readable_utf8_not_escaped(site: Site, fixture_issue: FixtureIssue, templates_dir: Path):
    data = render_feeds(site, [fixture_issue("fr-entry-language")], templates_dir)["feed.json"]
    assert "accords d’Abraham".encode() in data
    assert data.endswith(b"}\n")


# --- a real feed reader -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss", "feed.json"])
def test_reader_sees_nothing_new_after_a_rebuild(
    site: Site, all_fixture_issues: list[Issue], templates_dir: Path, tmp_path: Path, name: str
):
    feeds = tmp_path / "public"
    feeds.mkdir()
    (feeds / name).write_bytes(render_feeds(site, all_fixture_issues, templates_dir)[name])
    reader = make_reader(str(tmp_path / "reader.sqlite"), feed_root=str(feeds))
    try:
        reader.add_feed(name)  # a path relative to feed_root: reader's way to read local files
        (first,) = reader.update_feeds_iter(scheduled=False)
        assert not isinstance(first.value, Exception), first.value
        assert first.value is not None
        assert first.value.new == len(all_fixture_issues)
        stored = {e.id: (e.title, e.updated, e.link) for e in reader.get_entries()}
        assert set(stored) == {i.id for i in all_fixture_issues}
        fr = reader.get_entry((name, "tag:novastan.org,2025-11-13:kazakhstan-accords-abraham"))
        assert fr.title == "Le Kazakhstan rejoint les accords d’Abraham : un pari sur Washington"
        assert fr.link == "https://newsletter.example.org/issues/kazakhstan-accords-abraham/"

        # Rebuild: new file, same bytes. A reader must see no new and no modified entry.
        (feeds / name).unlink()
        (feeds / name).write_bytes(render_feeds(site, all_fixture_issues, templates_dir)[name])
        (again,) = reader.update_feeds_iter(scheduled=False)
        assert again.value == UpdatedFeed(url=name, new=0, modified=0, unmodified=len(all_fixture_issues))
        assert {e.id: (e.title, e.updated, e.link) for e in reader.get_entries()} == stored
        assert reader.get_entry_counts().total == len(all_fixture_issues)
    finally:
        reader.close()


def test_reader_sees_a_corrected_issue_as_modified(
    site: Site, fixture_issue: FixtureIssue, templates_dir: Path, tmp_path: Path
):
    issue = fixture_issue("de-three-related-links")
    (tmp_path / "feed.atom").write_bytes(render_feeds(site, [issue], templates_dir)["feed.atom"])
    reader = make_reader(str(tmp_path / "reader.sqlite"), feed_root=str(tmp_path))
    try:
        reader.add_feed("feed.atom")
        reader.update_feeds(scheduled=False)
        corrected = dataclasses.replace(
            issue,
            updated=dt.datetime(2025, 11, 21, 9, 0, tzinfo=dt.UTC),
            article=dataclasses.replace(issue.article, title="Korrigiert: " + issue.article.title),
        )
        (tmp_path / "feed.atom").write_bytes(render_feeds(site, [corrected], templates_dir)["feed.atom"])
        (result,) = reader.update_feeds_iter(scheduled=False)
        assert result.value is not None and not isinstance(result.value, Exception)
        assert (result.value.new, result.value.modified) == (0, 1)
        (entry,) = reader.get_entries()
        assert (entry.title or "").startswith("Korrigiert: ")
        assert entry.updated == dt.datetime(2025, 11, 21, 9, 0, tzinfo=dt.UTC)
    finally:
        reader.close()


# --- RFC 5005 archives --------------------------------------------------------------------


def test_archives_split_120_issues(site: Site, series: Series, templates_dir: Path):
    files = render_feeds(site, series(120), templates_dir)
    assert sorted(files) == ["archive/1.atom", "archive/2.atom", "feed.atom", "feed.json", "feed.rss"]
    base = site.base_url

    current = files["feed.atom"]
    assert entry_ids(current) == [f"tag:example.org,2020:issue-{n}" for n in range(120, 70, -1)]
    assert feed_links(current) == {
        "self": base + "feed.atom",
        "prev-archive": base + "archive/2.atom",
        "alternate": base,
    }
    assert parse_xml(current).find(f"{FH}archive") is None
    assert len(feedparser.parse(files["feed.rss"]).entries) == 50
    assert len(json.loads(files["feed.json"])["items"]) == 50
    assert "next_url" not in json.loads(files["feed.json"])

    oldest, newer = files["archive/1.atom"], files["archive/2.atom"]
    assert entry_ids(oldest) == [f"tag:example.org,2020:issue-{n}" for n in range(50, 0, -1)]
    assert entry_ids(newer) == [f"tag:example.org,2020:issue-{n}" for n in range(70, 50, -1)]
    assert feed_links(oldest) == {
        "self": base + "archive/1.atom",
        "current": base + "feed.atom",
        "next-archive": base + "archive/2.atom",
        "alternate": base,
    }
    assert feed_links(newer) == {
        "self": base + "archive/2.atom",
        "current": base + "feed.atom",
        "prev-archive": base + "archive/1.atom",
        "alternate": base,
    }
    for page in (oldest, newer):
        root = parse_xml(page)
        assert root.find(f"{FH}archive") is not None
        assert root.findtext(f"{ATOM}id") == site.feed_id
        newest_in_page = max(rfc3339(e.findtext(f"{ATOM}updated")) for e in atom_entries(page))
        assert rfc3339(root.findtext(f"{ATOM}updated")) == newest_in_page
    every = entry_ids(current) + entry_ids(newer) + entry_ids(oldest)
    assert len(every) == len(set(every)) == 120


def test_a_new_issue_changes_only_the_newest_archive_page(site: Site, series: Series, templates_dir: Path):
    before = render_feeds(site, series(120), templates_dir)
    after = render_feeds(site, series(121), templates_dir)
    assert after["archive/1.atom"] == before["archive/1.atom"]
    assert after["archive/2.atom"] != before["archive/2.atom"]
    assert entry_ids(after["archive/2.atom"])[0] == "tag:example.org,2020:issue-71"


def test_archive_pages_keep_their_entries_as_the_series_grows(
    site: Site, series: Series, templates_dir: Path
):
    small = dataclasses.replace(site, feed_size=3)
    pages_seen: dict[str, list[str]] = {}
    for count in range(1, 22):
        files = render_feeds(small, series(count), templates_dir)
        pages = sorted((p for p in files if p.startswith("archive/")), key=lambda p: int(p[8:-5]))
        assert pages == [archive_path(n) for n in range(1, math.ceil(max(0, count - 3) / 3) + 1)]
        for path in pages[:-1]:  # full pages: same entries for ever
            assert entry_ids(files[path]) == pages_seen.setdefault(path, entry_ids(files[path]))
        ids = [i for path in pages for i in entry_ids(files[path])] + entry_ids(files["feed.atom"])
        assert sorted(ids) == sorted(f"tag:example.org,2020:issue-{n}" for n in range(1, count + 1))


# --- RFC 4287 rules checked in code -------------------------------------------------------


def check_rfc4287(data: bytes) -> None:
    """The RFC 4287 rules a validator would flag, on one Atom document."""
    feed = parse_xml(data)
    assert feed.tag == f"{ATOM}feed"
    for child in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{child}")) == 1, child
    rfc3339(feed.findtext(f"{ATOM}updated"))
    feed_has_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    ids = []
    for entry in feed.findall(f"{ATOM}entry"):
        for child in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{child}")) == 1, child
        ids.append(entry.findtext(f"{ATOM}id"))
        rfc3339(entry.findtext(f"{ATOM}updated"))
        rfc3339(entry.findtext(f"{ATOM}published"))
        assert feed_has_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
        assert (
            entry.find(f"{ATOM}content") is not None
            or entry.find(f"{ATOM}link[@rel='alternate']") is not None
        )
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        # one alternate per type and language (translations add hreflang ones), and at least one
        assert len(alternates) == len(set(alternates)) >= 1
        for link in entry.findall(f"{ATOM}link"):
            assert link.get("href", "").startswith("https://")
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
    assert len(ids) == len(set(ids))


def test_every_atom_document_follows_rfc4287(
    site: Site, all_fixture_issues: list[Issue], templates_dir: Path
):
    files = render_feeds(dataclasses.replace(site, feed_size=3), all_fixture_issues, templates_dir)
    atoms = [path for path in files if path.endswith(".atom")]
    assert len(atoms) == 3
    for path in atoms:
        check_rfc4287(files[path])


# --- WebSub --------------------------------------------------------------------------------


def test_feeds_name_the_websub_hub_only_when_configured(site: Site, series: Series, templates_dir: Path):
    issues = series(site.feed_size + 1)  # one archive page: it names no hub (it never changes)
    plain = render_feeds(site, issues, templates_dir)
    assert not any(b"hub" in data for data in plain.values())
    hub = "https://hub.example.org/"
    files = render_feeds(dataclasses.replace(site, websub_hub=hub), issues, templates_dir)
    atom, rss = feedparser.parse(files["feed.atom"]), feedparser.parse(files["feed.rss"])
    for feed in (atom, rss):
        assert not feed.bozo
        assert {(link.rel, link.href) for link in feed.feed.links} >= {("hub", hub)}
        assert any(link.rel == "self" for link in feed.feed.links)  # WebSub needs both
    assert json.loads(files["feed.json"])["hubs"] == [{"type": "WebSub", "url": hub}]
    assert "hub" not in feed_links(files[archive_path(1)])
    assert files[archive_path(1)] == plain[archive_path(1)]


def test_a_feed_page_made_from_its_last_version_is_the_page_made_whole(
    site: Site, series: Series, all_fixture_issues: list[Issue], templates_dir: Path
):
    """An edit's feed pages are made from their last version (`Document.splice`): the entries
    that did not change are taken as they are, the others written. The same bytes as the page
    made whole: entries in another language, with translations, with an image, edited so that
    the page's `updated` moves."""
    small = dataclasses.replace(site, feed_size=4)
    image = Image("https://example.org/bild.jpg", alt="Ein Bild", caption="Bildtext", width=800, height=600)
    first = series(1)[0]
    pictured = dataclasses.replace(first, article=dataclasses.replace(first.article, image=image))
    issues = [*all_fixture_issues, *series(12)[:-1], pictured]

    def documents(issues: list[Issue]) -> dict[str, Document]:
        keys = [f"{i.id}@{i.last_modified}" for i in issues]  # as the build's: another when edited
        entries = [feed_entry(small, i, templates_dir, key=k) for i, k in zip(issues, keys, strict=True)]
        return feed_documents(small, entries)

    last = {path: (doc.make(), doc.entry_keys) for path, doc in documents(issues).items() if doc.splice}
    assert "feed.atom" in last and "archive/1.atom" in last and len(last) >= 4
    spliced = 0
    for edited in issues:  # each issue edited alone: its page made from the last version
        changed = [
            dataclasses.replace(
                i,
                updated=i.date + dt.timedelta(days=30),
                article=dataclasses.replace(i.article, title=i.article.title + " (überarbeitet)"),
            )
            if i is edited
            else i
            for i in issues
        ]
        for path, doc in documents(changed).items():
            if path not in last:
                continue
            assert doc.splice is not None and doc.entry_keys
            made = doc.splice(*last[path])
            if doc.entry_keys == last[path][1]:
                assert made is None  # none of its entries changed: what changed is around them
            else:
                assert made == doc.make(), (edited.id, path)
                spliced += 1
    assert spliced >= len(issues)
    page = documents(issues)["archive/1.atom"]
    assert page.splice is not None
    assert page.splice(b"<feed/>", last["archive/1.atom"][1]) is None  # not such a document
    assert page.splice(last["archive/1.atom"][0], last["archive/1.atom"][1][1:]) is None  # other entries


@pytest.mark.parametrize("author", ["Novastan", ""])
@pytest.mark.parametrize("backwards", [False, True])
def test_an_entry_written_once_for_the_site_and_its_edition_is_the_document_made_whole(
    site: Site,
    series: Series,
    all_fixture_issues: list[Issue],
    templates_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    author: str,
    backwards: bool,
):
    """A multilingual site's feeds hold each issue its edition's feeds hold too. Planned
    (`plan_shared_entries`), an entry both hold alike is written once and taken as written by
    the other document: the same bytes as each document made whole, whichever is made first.
    Alike means in the site's language, and credited alike where it names no author (a site
    without an author credits its title, and each edition has its own)."""
    multilingual = dataclasses.replace(
        site,
        author=author,
        feed_size=4,
        editions={
            "de": Edition("de", title="Novastan auf Deutsch"),
            "fr": Edition("fr", title="Novastan en français"),
            "en": Edition("en"),
        },
    )
    image = Image("https://example.org/bild.jpg", alt="Ein Bild", caption="Bildtext", width=800, height=600)
    first, *rest = series(14)
    pictured = dataclasses.replace(first, article=dataclasses.replace(first.article, image=image))
    anonymous = dataclasses.replace(rest[0], article=dataclasses.replace(rest[0].article, authors=()))
    issues = [*all_fixture_issues, pictured, anonymous, *rest[1:]]
    assert {i.language for i in issues} >= {"de", "fr"}

    def documents() -> dict[str, Document]:
        entries = [
            feed_entry(multilingual, i, templates_dir, key=f"{i.id}@{i.last_modified}") for i in issues
        ]
        made = feed_documents(multilingual, entries)
        made |= edition_documents(multilingual, entries)
        return dict(reversed(made.items())) if backwards else made

    plan_shared_entries(())
    whole = {path: document.make() for path, document in documents().items()}
    taken = []
    stitched = feeds._stitched

    def counted(make, layout, page, bodies, kept):
        taken.append(len(kept))
        return stitched(make, layout, page, bodies, kept)

    monkeypatch.setattr(feeds, "_stitched", counted)
    planned = documents()
    plan_shared_entries(planned.values())
    try:
        assert {path: document.make() for path, document in planned.items()} == whole
        assert not feeds._WANTED and not feeds._WRITTEN  # each taken by the last that holds it
    finally:
        plan_shared_entries(())
    newest = sorted(issues, key=lambda i: (i.date, i.id), reverse=True)
    current = {i.id for i in newest[:4]}  # the site's RSS and JSON Feed

    def also_current(language: str) -> int:  # in its edition's too
        return len(current & set([i.id for i in newest if i.language == language][:4]))

    german = sum(i.language == "de" for i in issues)
    # every German entry is in one of the site's Atom documents and in one of its edition's (an
    # entry in another language says so in the site's); JSON Feed items name their language in
    # every feed; RSS items are credited alike, unless no author is named (then: the titles)
    json_items = sum(also_current(language) for language in multilingual.languages)
    assert sum(taken) == german + json_items + (also_current("de") if author else 0)
