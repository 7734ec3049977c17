"""feedgen 1.0.0's quirks, each shown on plain feedgen and then fixed by feedgen_fixes.

The first half of each test is a canary: when a feedgen upgrade fixes a quirk upstream, it
fails and tells us which workaround can go.
"""

from __future__ import annotations

import datetime as dt

import pytest
from feedgen.feed import FeedGenerator
from lxml import etree

from newsletter.outputs.feedgen_fixes import (
    HISTORY_NS,
    XML_LANG,
    AtomLink,
    new_entry,
    new_feed,
    rss_bytes,
    set_entry_language,
    set_entry_links,
    set_feed_links,
)

ATOM = "{http://www.w3.org/2005/Atom}"
WHEN = dt.datetime(2025, 11, 20, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
RELATED = AtomLink("https://example.org/related/", rel="related", type="text/html", title="Lest auch")


def plain_feed() -> FeedGenerator:
    fg = FeedGenerator()
    fg.id("tag:example.org,2025:feed")
    fg.title("Feed")
    fg.link(href="https://example.org/", rel="alternate")
    fg.description("Feed")
    return fg


def fixed_feed(archive: bool = False) -> FeedGenerator:
    fg = new_feed(WHEN, archive=archive)
    fg.id("tag:example.org,2025:feed")
    fg.title("Feed")
    fg.description("Feed")
    return fg


def entry_links(fg: FeedGenerator) -> list[dict[str, str]]:
    root = etree.fromstring(fg.atom_str())
    return [dict(link.attrib) for link in root.findall(f"{ATOM}entry/{ATOM}link")]


def test_entry_links_keep_their_attributes():
    fg = plain_feed()
    entry = fg.add_entry()
    entry.id("tag:example.org,2025:1")
    entry.title("Entry")
    entry.content("<p>x</p>", type="html")
    entry.link(href=RELATED.href, rel="related", type="text/html", title="Lest auch")
    assert entry_links(fg) == [{"href": RELATED.href}]  # upstream issue #135

    fg = fixed_feed()
    entry = new_entry(fg, WHEN)
    entry.id("tag:example.org,2025:1")
    entry.title("Entry")
    entry.content("<p>x</p>", type="html")
    set_entry_links(entry, [AtomLink("https://example.org/1/", type="text/html"), RELATED])
    assert entry_links(fg) == [
        {"href": "https://example.org/1/", "rel": "alternate", "type": "text/html"},
        {"href": RELATED.href, "rel": "related", "type": "text/html", "title": "Lest auch"},
    ]
    set_feed_links(fg, [AtomLink("https://example.org/")])
    rss = etree.fromstring(fg.rss_str())
    assert rss.findtext("channel/item/link") == "https://example.org/1/"


def test_no_now_in_updated_or_last_build_date():
    fg = plain_feed()
    entry = fg.add_entry()
    entry.id("tag:example.org,2025:1")
    entry.title("Entry")
    entry.content("x")
    this_year = str(dt.datetime.now(dt.UTC).year)
    assert this_year in etree.fromstring(fg.atom_str()).findtext(f"{ATOM}updated")

    fg = fixed_feed()
    entry = new_entry(fg, WHEN)
    entry.id("tag:example.org,2025:1")
    entry.title("Entry")
    entry.content("x")
    atom = etree.fromstring(fg.atom_str())
    assert atom.findtext(f"{ATOM}updated") == "2025-11-20T08:00:00+01:00"
    assert atom.findtext(f"{ATOM}entry/{ATOM}updated") == "2025-11-20T08:00:00+01:00"
    set_feed_links(fg, [AtomLink("https://example.org/")])
    rss = etree.fromstring(fg.rss_str())
    assert rss.findtext("channel/lastBuildDate") == "Thu, 20 Nov 2025 08:00:00 +0100"


def test_entries_keep_the_order_they_were_added_in():
    fg = plain_feed()
    for n in (1, 2):
        fg.add_entry().id(f"tag:example.org,2025:{n}")
    assert [e.id() for e in fg.entry()] == ["tag:example.org,2025:2", "tag:example.org,2025:1"]

    fg = fixed_feed()
    for n in (1, 2):
        new_entry(fg, WHEN).id(f"tag:example.org,2025:{n}")
    assert [e.id() for e in fg.entry()] == ["tag:example.org,2025:1", "tag:example.org,2025:2"]


def test_rss_channel_link_is_the_alternate_whatever_the_order():
    fg = plain_feed()
    fg.link(href="https://example.org/feed.rss", rel="self")
    assert etree.fromstring(fg.rss_str()).findtext("channel/link") == "https://example.org/feed.rss"

    fg = fixed_feed()
    set_feed_links(
        fg, [AtomLink("https://example.org/"), AtomLink("https://example.org/feed.rss", rel="self")]
    )
    assert etree.fromstring(fg.rss_str()).findtext("channel/link") == "https://example.org/"


def test_control_characters_still_raise_in_plain_feedgen():
    # Not fixed here: callers clean text with newsletter.xmltext first (see test_feeds).
    fg = plain_feed()
    fg.title("a\x0bb")
    with pytest.raises(ValueError, match="XML compatible"):
        fg.atom_str()


def test_entry_language_and_archive_marker():
    fg = fixed_feed(archive=True)
    entry = new_entry(fg, WHEN)
    entry.id("tag:example.org,2025:1")
    entry.title("Entrée")
    entry.content("x")
    set_entry_language(entry, "fr")
    atom = etree.fromstring(fg.atom_str())
    assert atom.find(f"{{{HISTORY_NS}}}archive") is not None
    assert atom.find(f"{ATOM}entry").get(XML_LANG) == "fr"
    assert etree.fromstring(fixed_feed().atom_str()).find(f"{{{HISTORY_NS}}}archive") is None


def test_rss_titles_write_markup_characters_as_hex_references():
    fg = fixed_feed()
    fg.title("A & B < C")
    set_feed_links(fg, [AtomLink("https://example.org/")])
    entry = new_entry(fg, WHEN)
    entry.title("<Pipelines> & more")
    entry.content("<p>A &amp; B</p>")
    data = rss_bytes(fg)
    assert b"<title>A &#x26; B &#x3C; C</title>" in data
    assert b"<title>&#x3C;Pipelines&gt; &#x26; more</title>" in data
    assert b"&lt;p&gt;A &amp;amp; B&lt;/p&gt;" in data  # HTML content untouched
    assert etree.fromstring(data).findtext("channel/item/title") == "<Pipelines> & more"
