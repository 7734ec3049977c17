"""The one place that knows feedgen 1.0.0's quirks; feeds.py builds feeds only through it.

What feedgen does on its own, and what this module does instead:

- Entry-level `<link>`s lose rel, type, hreflang, title and length: `atom_entry` reads them
  from the new element instead of the dict (upstream issue #135). The entry extension here
  writes the entry's Atom links itself.
- Every `FeedGenerator` and `FeedEntry` is born with `updated` (and RSS `lastBuildDate`) =
  now(), which leaks into the output whenever a caller forgets one. `new_feed` and `new_entry`
  take the date as an argument, so no object exists without the real one.
- `add_entry` prepends by default, reversing the caller's order: `new_entry` appends.
- The RSS channel `<link>` is whichever feed link was added last: `set_feed_links` adds the
  alternate last.
- No way to give an entry its own `xml:lang`: the entry extension sets it.
- Not feedgen's but its readers': feedparser (and so `reader`) takes an entry's *last* HTML
  `alternate` as the entry's link, so `set_entry_links` puts the entry's own alternate after
  those of its translations (`hreflang`), whatever order they came in.
- No RFC 5005 `<fh:archive/>`: the feed extension writes it for archive documents.
- feedgen's media extension writes no `media:description` or `media:credit` inside a
  `media:content`, and declares its namespace on every feed: `set_entry_image` writes the
  entry's lead image as one `media:content` (Media RSS) in Atom and RSS alike, declaring the
  namespace on that element only, so a feed without images stays as it was.
- RSS titles are plain text, but many readers take them as HTML: `rss_bytes` writes their
  "&" and "<" as hexadecimal references (RSS Best Practices Profile), which every XML
  parser reads back as the same characters.
- lxml raises ValueError on XML control characters (and UTF-8 cannot encode a lone
  surrogate): callers clean their text with `newsletter.xmltext.xml_safe` first.

Not fixed, so know it: RSS dates go through `formatRFC2822`, which switches the process-wide
locale to "C" and back on every call; do not render RSS from two threads at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..model import Image

HISTORY_NS = "http://purl.org/syndication/history/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_NS = "http://search.yahoo.com/mrss/"
_EXTENSION = "newsletter"  # feedgen exposes the extension instance as this attribute


@dataclass(frozen=True)
class AtomLink:
    """An Atom `<link>` with every attribute RFC 4287 allows that we use."""

    href: str
    rel: str = "alternate"
    type: str | None = None
    title: str | None = None
    hreflang: str | None = None

    def attributes(self) -> dict[str, str]:
        pairs = {"href": self.href, "rel": self.rel, "type": self.type}
        pairs |= {"hreflang": self.hreflang, "title": self.title}
        return {k: v for k, v in pairs.items() if v}


class _FeedFixes(BaseExtension):  # type: ignore[misc]
    """Feed-level: `<fh:archive/>` in archive documents (RFC 5005 section 4); RSS's WebSub hub
    (feedgen writes only the `self` atom:link into RSS)."""

    def __init__(self) -> None:
        self.archive = False
        self.hub: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS} if self.archive else {}

    def extend_atom(self, feed: Any) -> Any:
        if self.archive:
            etree.SubElement(feed, f"{{{HISTORY_NS}}}archive")
        return feed

    def extend_rss(self, feed: Any) -> Any:
        if self.hub:
            channel = feed[0]
            links = channel.findall(f"{{{ATOM_NS}}}link")
            at = channel.index(links[-1]) + 1 if links else len(channel)
            channel.insert(at, etree.Element(f"{{{ATOM_NS}}}link", {"href": self.hub, "rel": "hub"}))
        return feed


class _EntryFixes(BaseEntryExtension):  # type: ignore[misc]
    """Entry-level: the Atom links with all their attributes, and the entry's xml:lang."""

    def __init__(self) -> None:
        self.links: tuple[AtomLink, ...] = ()
        self.language: str | None = None
        self.image: Image | None = None

    def _media(self, entry: Any) -> None:
        image = self.image
        if image is None:
            return
        attributes = {"url": image.url, "medium": "image"}
        if image.width and image.height:
            attributes |= {"width": str(image.width), "height": str(image.height)}
        media = etree.SubElement(entry, f"{{{MEDIA_NS}}}content", attributes, nsmap={"media": MEDIA_NS})
        description = image.alt or image.caption
        if description:
            etree.SubElement(media, f"{{{MEDIA_NS}}}description", {"type": "plain"}).text = description
        if image.credit:
            etree.SubElement(media, f"{{{MEDIA_NS}}}credit").text = image.credit

    def extend_rss(self, item: Any) -> Any:
        self._media(item)
        return item

    def extend_atom(self, entry: Any) -> Any:
        broken = entry.findall("link")  # feedgen's elements are un-namespaced in its tree
        at = entry.index(broken[0]) if broken else len(entry)
        for element in broken:
            entry.remove(element)
        for offset, link in enumerate(self.links):
            entry.insert(at + offset, etree.Element("link", link.attributes()))
        if self.language:
            entry.set(XML_LANG, self.language)
        self._media(entry)
        return entry


def new_feed(updated: dt.datetime, *, archive: bool = False, hub: str | None = None) -> FeedGenerator:
    """A FeedGenerator whose `updated` and `lastBuildDate` are `updated`, never now().

    `archive` marks an RFC 5005 archive document; `hub` names the RSS feed's WebSub hub.
    Dublin Core is loaded for RSS only (dc:creator); Atom has its own author elements.
    """
    fg = FeedGenerator()
    fg.updated(updated)  # also sets RSS lastBuildDate
    fg.register_extension(_EXTENSION, _FeedFixes, _EntryFixes, atom=True, rss=True)
    getattr(fg, _EXTENSION).archive = archive
    getattr(fg, _EXTENSION).hub = hub
    fg.load_extension("dc", atom=False, rss=True)
    return fg


def set_feed_links(fg: FeedGenerator, links: Sequence[AtomLink]) -> None:
    """The feed's Atom links; the first alternate goes last so it is also RSS's `<link>`."""
    alternate = [link for link in links if link.rel == "alternate"][:1]
    for link in [link for link in links if link not in alternate] + alternate:
        fg.link(**link.attributes())


def new_entry(fg: FeedGenerator, updated: dt.datetime) -> FeedEntry:
    """A new entry appended after the ones already added, with its real `updated`."""
    entry = fg.add_entry(order="append")
    entry.updated(updated)
    return entry


def set_entry_links(entry: FeedEntry, links: Sequence[AtomLink]) -> None:
    """The entry's Atom links as given, but for its own alternate (the first one), which goes
    after the other alternates (translations, with hreflang); RSS gets it as `<link>`."""
    alternate = next((link for link in links if link.rel == "alternate"), None)
    if alternate is not None:
        entry.link(href=alternate.href, rel="alternate", replace=True)
        others = [link for link in links if link.rel == "alternate" and link is not alternate]
        if others:
            rest = [link for link in links if link is not alternate]
            at = rest.index(others[-1]) + 1
            links = [*rest[:at], alternate, *rest[at:]]
    getattr(entry, _EXTENSION).links = tuple(links)


def set_entry_language(entry: FeedEntry, language: str) -> None:
    """`xml:lang` on the Atom entry, for an entry in another language than its feed."""
    getattr(entry, _EXTENSION).language = language


def set_entry_image(entry: FeedEntry, image: Image) -> None:
    """The entry's lead image as `media:content`, with its alt (or caption) and credit."""
    getattr(entry, _EXTENSION).image = image


_RSS_TITLE = re.compile(rb"<title>([^<]*)</title>")


def _hex_references(match: re.Match[bytes]) -> bytes:
    text = match.group(1).replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")
    return b"<title>" + text + b"</title>"


def rss_bytes(fg: FeedGenerator) -> bytes:
    """The RSS document, pretty-printed, with "&" and "<" in titles as hex references."""
    return _RSS_TITLE.sub(_hex_references, bytes(fg.rss_str(pretty=True)))
