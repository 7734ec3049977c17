"""The feeds: Atom 1.0 with RFC 5005 archives, RSS 2.0 and JSON Feed 1.1.

Every document is a pure function of the site and its issues: no build time, no now(), so
the same input gives the same bytes and feed readers see nothing new after a rebuild. The
feed's `updated` is its newest entry's last modification.

Archives (RFC 5005 "archived feeds"): the subscription feed holds the newest `feed_size`
entries; older ones go to `archive/<n>.atom`, page 1 holding the oldest. Pages fill from the
oldest end, so a new issue only ever changes the newest archive page (and, when that page is
full, the one before it gains a `next-archive` link to the new page).

An entry is written from the issue and what of the site it shows (`_entry_site`, as each
format's layout asks), never the whole site: so it is the same bytes in every document whose
site shows it alike, and is written once for all of them (`plan_shared_entries`).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import itertools
import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .. import __version__
from ..keys import blake2b, hashed, new_key
from ..model import Issue, Language, Person, Site, aware
from ..xmltext import xml_safe
from . import read_once
from .labels import Labels, labels_for

ATOM_PATH = "feed.atom"
RSS_PATH = "feed.rss"
JSON_PATH = "feed.json"
ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
HTML_TYPE = "text/html"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "newsletter"
# The `updated` of a feed with no issues yet: fixed, so an empty feed is stable too.
EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

T = TypeVar("T")


def archive_path(page: int) -> str:
    """Where archive page `page` (1 = oldest entries) is written, relative to the output root."""
    return f"archive/{page}.atom"


@dataclass(frozen=True)
class FeedEntry:
    """One issue as every feed format needs it, derived once (in a build worker).

    `issue` is the issue without its body (`sections` empty) and with text XML cannot carry
    dropped; the body is `content_html`. `key` names what the entry was made from (the build
    cache's rendered key): a feed document made of the same entries is the same bytes.

    The body is kept as UTF-8 (`content`) and decoded when a feed document is made: a build
    holds every issue's entry, mostly to make nothing of it (its documents are in the cache),
    and a str of text beyond Latin-1 („quotes“ – dashes) takes two or four bytes a character.
    An entry the build keeps `apart` has no body here: the build's cache keeps it under `key`,
    and hands it over (`Bodies`) only for a document that is made.
    """

    issue: Issue
    url: str
    content: bytes
    key: str = ""
    apart: bool = False

    @property
    def content_html(self) -> str:
        if self.apart:  # never written out empty: a document is made with `with_bodies`
            raise ValueError(f"feed entry {self.key}: its body is kept apart")
        return self.content.decode()

    @property
    def published(self) -> dt.datetime:
        return aware(self.issue.date)

    @property
    def updated(self) -> dt.datetime:
        return aware(self.issue.last_modified)

    # what `Entry` asks of it, besides `key` and `published`
    @property
    def id(self) -> str:
        return self.issue.id

    @property
    def language(self) -> str:
        return self.issue.language

    def loaded(self) -> FeedEntry:
        return self


class Entry(Protocol):
    """A feed entry as the documents holding it are ordered, split and keyed: a `FeedEntry`, or
    one a build knows from the last build by these alone, and reads (`loaded`) only for a
    document that is made."""

    @property
    def key(self) -> str: ...
    @property
    def published(self) -> dt.datetime: ...
    @property
    def id(self) -> str: ...
    @property
    def language(self) -> str: ...
    def loaded(self) -> FeedEntry: ...


#: The bodies of entries kept `apart`, by their key.
Bodies = Callable[[str], bytes]


def with_bodies(entries: Sequence[Entry], bodies: Bodies | None) -> Sequence[FeedEntry]:
    """`entries` read, each with its body: those kept apart given theirs by `bodies` (without
    it, such an entry stays apart, and making a document of it raises: `content_html`)."""
    loaded = [e.loaded() for e in entries]
    if bodies is None or not any(e.apart for e in loaded):
        return loaded
    return [replace(e, content=bodies(e.key), apart=False) if e.apart else e for e in loaded]


class DocumentStore(Protocol):
    """Feed documents made before, by a key naming everything they were made from."""

    def document(self, key: str) -> bytes | None: ...

    def store_document(self, key: str, data: bytes) -> None: ...


def without_body(issue: Issue) -> Issue:
    """`issue` with no sections: what listings and feeds read, without the article's bulk."""
    return replace(issue, article=replace(issue.article, sections=()))


def feed_entry(site: Site, issue: Issue, templates_dir: Path, key: str = "") -> FeedEntry:
    """`issue` as the feeds need it; text that XML cannot carry is dropped here."""
    from ..figures import figure_html  # here: a build that makes feeds of entries made before
    from .content import article_html, original_html, teasers_html  # needs none of them

    site, issue = xml_safe(site.for_edition(issue.language)), xml_safe(issue)
    labels = _feed_labels(templates_dir, issue.language)
    image = issue.article.lead_image
    lead = figure_html(image) + "\n" if image else ""  # for readers without Media RSS
    body = lead + article_html(site, issue, labels, related_block=False) + teasers_html(site, issue, labels)
    body += original_html(issue, labels)
    return FeedEntry(issue=without_body(issue), url=site.issue_url(issue), content=body.encode(), key=key)


@read_once
@functools.lru_cache(maxsize=64)
def _feed_labels(templates_dir: Path, language: str) -> Labels:
    """`labels_for`, XML-safe: cleaned once, not for every entry."""
    return xml_safe(labels_for(templates_dir, language))


def render_feeds(site: Site, issues: Sequence[Issue], templates_dir: Path) -> dict[str, bytes]:
    """Every feed file, as relative output path -> bytes.

    Always "feed.atom", "feed.rss" and "feed.json" (newest `site.feed_size` issues); with
    more issues than that, also the Atom archive pages "archive/<n>.atom". Text that XML
    cannot carry (control characters, lone surrogates) is dropped here, once, for all three.
    """
    return render_feed_entries(site, [feed_entry(site, issue, templates_dir) for issue in issues])


def render_edition_feeds(
    site: Site, entries: Sequence[FeedEntry], store: DocumentStore | None = None
) -> dict[str, bytes]:
    """Each edition's own feeds ("de/feed.atom", "de/feed.rss", "de/feed.json", its archive
    pages), of its issues only, in its language and under its title; none for a newsletter
    with one edition, whose feeds are the site's."""
    return made(edition_documents(site, entries, store), store)


def edition_documents(
    site: Site, entries: Sequence[Entry], store: DocumentStore | None = None, bodies: Bodies | None = None
) -> dict[str, Document]:
    """`render_edition_feeds`' documents, not yet made (see `feed_documents`)."""
    if not site.multilingual:
        return {}
    documents: dict[str, Document] = {}
    for language in site.languages:
        edition = replace(
            site.for_edition(language), language=language, feed_id=site.edition_feed_id(language)
        )
        own = [e for e in entries if e.language == language]
        documents |= feed_documents(edition, own, store, prefix=site.edition_path(language), bodies=bodies)
    return documents


def render_feed_entries(
    site: Site, entries: Sequence[FeedEntry], store: DocumentStore | None = None, prefix: str = ""
) -> dict[str, bytes]:
    """`render_feeds` from entries made beforehand (`feed_entry`); with `prefix` ("de/"), the
    files go under it and the feeds' own links point there.

    With `store`, a document whose entries all have keys and that was made before from the
    same entries and links is taken from there: an archive page (RFC 5005: only the newest
    changes) is made once.
    """
    return made(feed_documents(site, entries, store, prefix), store)


#: A document's last version: its bytes, and the keys of the entries it held, in order.
Last = tuple[bytes, Sequence[str]]


@dataclass
class Document:
    """One file made from many issues (a feed document, an archive listing): how to make its
    bytes, and the key it is stored by (None: made every time). Nothing is read from the store
    until asked (`found`): a build may not need the bytes at all (build.py places the file the
    last output has).

    A feed document also names the entries it holds (`entry_keys`, kept with its record), and
    can be made from its last version (`splice`): the entries that did not change are taken
    from it as they are, and only the others are written (None when that cannot be done).
    Made whole, it takes each entry that another document of the build wrote as the same bytes
    (`shared`, one name per entry) from there."""

    make: Callable[[], bytes]
    key: str | None = None
    data: bytes | None = None
    entry_keys: tuple[str, ...] = ()
    splice: Callable[[bytes, Sequence[str]], bytes | None] | None = None
    shared: tuple[Hashable, ...] = ()  # what each entry is written once by (`plan_shared_entries`)

    def found(self, store: DocumentStore | None) -> bytes | None:
        """Its bytes if known: given, or made before and found in `store` by its key."""
        if self.data is None and store is not None and self.key:
            self.data = store.document(self.key)
        return self.data

    def made(self, store: DocumentStore | None, last: Last | None = None) -> bytes:
        """Its bytes: as found, or made now (from `last`, its last version, where it can be)
        and stored by its key."""
        data = self.found(store)
        if data is None:
            if last is not None and self.splice is not None:
                data = self.splice(*last)
            data = self.data = data if data is not None else self.make()
            if store is not None and self.key:
                store.store_document(self.key, data)
        return data


def made(documents: dict[str, Document], store: DocumentStore | None) -> dict[str, bytes]:
    """Every document's bytes, by path: those not found made, and stored."""
    return {path: document.made(store) for path, document in documents.items()}


def feed_documents(
    site: Site,
    entries: Sequence[Entry],
    store: DocumentStore | None = None,
    prefix: str = "",
    bodies: Bodies | None = None,
) -> dict[str, Document]:
    """`render_feed_entries`' documents, each found in `store` or yet to be made (`made`).
    Entries kept apart get their bodies from `bodies` when a document holding them is made."""
    site = xml_safe(site)
    items = sorted(entries, key=lambda e: (e.published, e.id), reverse=True)
    current, pages = _archive_pages(items, max(1, site.feed_size))
    site_key = _site_key(site) if store is not None else None
    views: dict[_Layout, str] = {}

    def document(
        path: str,
        page: Sequence[Entry],
        links: list[tuple[str, str]],
        make: _Maker,
        layout: _Layout | None = None,
    ) -> Document:
        keys = tuple(e.key for e in page)
        key = _document_key(site_key, path, links, list(keys)) if site_key is not None and all(keys) else None
        if layout is None or not all(keys):  # made whole every time
            return Document(lambda: make(with_bodies(page, bodies)), key)
        view = views.get(layout)
        if view is None:  # what its entries are written from, besides themselves
            view = views[layout] = repr(layout.view(site))
        shared = tuple((layout, view, k) for k in keys)
        whole = functools.partial(_made_sharing, make, layout, page, bodies, shared)
        splice = functools.partial(_spliced, make, layout, page, bodies)
        return Document(whole, key, entry_keys=keys, splice=splice, shared=shared)

    def atom(path: str, links: list[tuple[str, str]], archive: bool) -> _Maker:
        return functools.partial(_atom, site, self_path=path, history=links, archive=archive, home=prefix)

    documents: dict[str, Document] = {}
    atom_path, rss_path, json_path = prefix + ATOM_PATH, prefix + RSS_PATH, prefix + JSON_PATH
    newest_page = [("prev-archive", prefix + archive_path(len(pages)))] if pages else []
    current_atom = atom(atom_path, newest_page, False)
    documents[atom_path] = document(atom_path, current, newest_page, current_atom, _ATOM)
    for number, page in enumerate(pages, start=1):
        links = [("current", atom_path)]
        if number > 1:
            links.append(("prev-archive", prefix + archive_path(number - 1)))
        if number < len(pages):
            links.append(("next-archive", prefix + archive_path(number + 1)))
        path = prefix + archive_path(number)
        documents[path] = document(path, page, links, atom(path, links, True), _ATOM)
    rss = functools.partial(_rss, site, home=prefix)
    documents[rss_path] = document(rss_path, current, [], rss, _RSS)
    json_feed = functools.partial(_json_feed, site, home=prefix)
    documents[json_path] = document(json_path, current, [], json_feed, _JSON)
    return documents


class _Maker(Protocol):
    """A feed document of `items`, dated `updated` (by default the newest item's)."""

    def __call__(self, items: Sequence[FeedEntry], *, updated: dt.datetime | None = None) -> bytes: ...


def _entry_site(site: Site, *, language: bool = True, credit: bool = False) -> Site:
    """The site as a feed entry shows it: where its pages are (a translation's link); with
    `language`, the feed's language (an entry in another says its own; a JSON Feed item names
    its own in every feed); with `credit`, whom an entry without authors is credited to (RSS).
    Entries are written from this alone (each format's `_Layout.view`), so one is the same bytes
    in every feed whose site shows it alike (`plan_shared_entries`)."""
    return Site(
        title=_feed_author(site) if credit else "",
        base_url=site.base_url,
        language=site.language if language else "",
        feed_id="",
    )


@dataclass(frozen=True)
class _Layout:
    """Where a pretty-printed feed document's entries stand: each starts a line with `start`
    (after `within`, where the list of entries begins) and ends at the next `end`, and the
    entries stand `between` apart. Text never holds these: XML writes "<" as "&lt;", JSON a
    newline as "\\n"."""

    start: bytes
    end: bytes
    between: bytes
    view: Callable[[Site], Site]  # what of the site its entries are written from (`_entry_site`)
    within: bytes = b""


_ATOM = _Layout(b"  <entry", b"</entry>", b"\n", view=_entry_site)
_RSS = _Layout(b"    <item>", b"</item>", b"\n", view=functools.partial(_entry_site, credit=True))
_JSON = _Layout(
    b"    {",
    b"\n    }",
    b",\n",
    within=b'\n  "items": [\n',
    view=functools.partial(_entry_site, language=False),
)


def _entries_of(document: bytes, layout: _Layout) -> tuple[bytes, list[bytes], bytes] | None:
    """(what comes before the entries, each entry, what comes after) of a feed document made
    by `_atom`, `_rss` or `_json_feed`; None when it has none, or is not laid out so."""
    at = 0
    if layout.within:
        at = document.find(layout.within)
        if at < 0:
            return None
        at += len(layout.within) - 1  # the newline the first entry's line starts after
    start = b"\n" + layout.start
    entries: list[tuple[int, int]] = []
    at = document.find(start, at)
    while at >= 0:
        end = document.find(layout.end, at + 1)
        if end < 0:
            return None
        entries.append((at + 1, end + len(layout.end)))
        at = document.find(start, end)
    if not entries or any(document[a[1] : b[0]] != layout.between for a, b in itertools.pairwise(entries)):
        return None
    return document[: entries[0][0]], [document[a:b] for a, b in entries], document[entries[-1][1] :]


def _spliced(
    make: _Maker,
    layout: _Layout,
    page: Sequence[Entry],
    bodies: Bodies | None,
    last: bytes,
    last_keys: Sequence[str],
) -> bytes | None:
    """The feed document of `page` from `last`, its last version, whose entries were those of
    `last_keys`: each entry still in the page taken from it as it is, only the others written
    (`_stitched`). None when that cannot be: `last` is not such a document, or no entry changed
    (what changed is around them: make it whole)."""
    parts = _entries_of(last, layout)
    if parts is None or len(parts[1]) != len(last_keys):
        return None
    kept = dict(zip(last_keys, parts[1], strict=True))
    if all(e.key in kept for e in page):
        return None
    return _stitched(make, layout, page, bodies, kept)


def _stitched(
    make: _Maker, layout: _Layout, page: Sequence[Entry], bodies: Bodies | None, kept: dict[str, bytes]
) -> bytes | None:
    """The feed document of `page` with the entries of `kept` (by key) as written there, and only
    the others written now: in a document of their own, made as the whole one would be and dated
    as it is, whose entries and what stands around them are taken (of the first entry, when
    every one is kept). None when that document is not laid out so."""
    new = [e for e in page if e.key not in kept] or list(page[:1])
    made = _entries_of(make(with_bodies(new, bodies), updated=_newest([e.loaded() for e in page])), layout)
    if made is None or len(made[1]) != len(new):
        return None
    before, written, after = made
    fresh = dict(zip((e.key for e in new), written, strict=True))
    return before + layout.between.join(fresh.get(e.key) or kept[e.key] for e in page) + after


# An issue is in its site's feeds and, on a multilingual site, in its edition's: its entry is the
# same bytes in both when the two sites show it alike (`_entry_site`: an issue in the site's own
# language, any JSON Feed item). A build plans which entries more than
# one of the documents it makes holds alike (`plan_shared_entries`); each is then written once,
# kept until the last of them takes it.
_WANTED: dict[Hashable, int] = {}  # how many documents yet to be made hold it
_WRITTEN: dict[Hashable, bytes] = {}  # written for one of them, by the same names


def plan_shared_entries(documents: Iterable[Document]) -> None:
    """Before `documents` are made (here, or in processes forked after): each entry that more
    than one of them holds alike is written once. No documents: nothing is kept any more."""
    counts = Counter(name for document in documents for name in document.shared)
    _WANTED.clear()
    _WRITTEN.clear()
    _WANTED.update((name, n) for name, n in counts.items() if n > 1)


def _made_sharing(
    make: _Maker, layout: _Layout, page: Sequence[Entry], bodies: Bodies | None, shared: tuple[Hashable, ...]
) -> bytes:
    """The feed document of `page`, made whole but for the entries another document wrote as
    the same bytes (`plan_shared_entries`); what it writes that others will hold is kept."""
    data = None
    if _WRITTEN:
        kept = {e.key: _WRITTEN[name] for e, name in zip(page, shared, strict=True) if name in _WRITTEN}
        data = _stitched(make, layout, page, bodies, kept) if kept else None
    if data is None:
        data = make(with_bodies(page, bodies))
    if not _WANTED:
        return data
    parts = _entries_of(data, layout)
    written = parts[1] if parts is not None and len(parts[1]) == len(page) else None
    for i, name in enumerate(shared):
        left = _WANTED.get(name)
        if left is None:
            continue
        if left <= 1:  # the last that holds it
            del _WANTED[name]
            _WRITTEN.pop(name, None)
        else:
            _WANTED[name] = left - 1
            if name not in _WRITTEN and written is not None:
                _WRITTEN[name] = written[i]
    return data


def _site_key(site: Site) -> blake2b:
    """The part of every document key that is the same for all of a feed's documents: hashed
    once, not for each archive page (`repr(site)` alone is a few kilobytes)."""
    return _hashed(new_key(), (__version__, repr(site)))


def _document_key(site_key: blake2b, path: str, links: list[tuple[str, str]], keys: list[str]) -> str:
    return _hashed(site_key.copy(), (path, repr(links), *keys)).hexdigest()


def _hashed(h: blake2b, parts: Sequence[str]) -> blake2b:
    return hashed(h, (part.encode("utf-8", "surrogatepass") for part in parts))


def _archive_pages(items: Sequence[T], size: int) -> tuple[list[T], list[list[T]]]:
    """(subscription entries, archive pages): all newest first, pages numbered from the oldest."""
    current = list(items[:size])
    oldest_first = list(reversed(items[size:]))
    pages = [list(reversed(oldest_first[i : i + size])) for i in range(0, len(oldest_first), size)]
    return current, pages


def _newest(items: Sequence[FeedEntry]) -> dt.datetime:
    return max((item.updated for item in items), default=EMPTY_FEED_UPDATED)


def _feed_author(site: Site) -> str:
    # RFC 4287 wants an author on the feed or on every entry: the site always has a name.
    return site.author or site.title


def _same_language(a: str, b: str) -> bool:
    return Language.parse(a) == Language.parse(b)


def _person(person: Person) -> dict[str, str]:
    return {"name": person.name, "uri": person.url} if person.url else {"name": person.name}


# --- Atom ---------------------------------------------------------------------------------


def _atom(
    site: Site,
    items: Sequence[FeedEntry],
    self_path: str,
    history: list[tuple[str, str]],
    *,
    archive: bool,
    home: str = "",
    updated: dt.datetime | None = None,
) -> bytes:
    from . import feedgen_fixes as fx  # feedgen and lxml: only when a feed is made

    fg = fx.new_feed(_newest(items) if updated is None else updated, archive=archive)
    fg.id(site.feed_id)
    fg.title(site.title)
    if site.subtitle:
        fg.subtitle(site.subtitle)
    fg.language(site.language)
    fg.author(name=_feed_author(site))
    fg.generator(GENERATOR, version=__version__)
    if site.icon:
        fg.icon(site.icon)
    if site.logo:
        fg.logo(site.logo)
    if site.rights:
        fg.rights(site.rights)
    links = [fx.AtomLink(site.base_url + self_path, rel="self", type=ATOM_TYPE)]
    links += [fx.AtomLink(site.base_url + path, rel=rel, type=ATOM_TYPE) for rel, path in history]
    links.append(fx.AtomLink(site.base_url + home, rel="alternate", type=HTML_TYPE))
    if site.websub_hub and not archive:  # archive pages never change: nothing to subscribe to
        links.append(fx.AtomLink(site.websub_hub, rel="hub"))
    fx.set_feed_links(fg, links)
    view = _ATOM.view(site)
    for item in items:
        _atom_entry(fg, view, item)
    return bytes(fg.atom_str(pretty=True))


def _atom_entry(fg: Any, site: Site, item: FeedEntry) -> None:
    """The entry of `item` in the Atom feed `fg`, written from the site as entries show it."""
    from . import feedgen_fixes as fx

    issue, article = item.issue, item.issue.article
    entry = fx.new_entry(fg, item.updated)
    entry.id(issue.id)
    entry.title(article.title)
    entry.published(item.published)
    for author in article.authors:
        entry.author(_person(author))
    for translator in article.translators:
        entry.contributor(_person(translator))
    for tag in article.tags:
        entry.category(term=tag)
    if article.summary:
        entry.summary(article.summary)
    entry.content(item.content_html, type="html")
    links = [fx.AtomLink(item.url, rel="alternate", type=HTML_TYPE)]
    seen = {item.url}
    for translation in article.translations:  # the same article in other languages
        url = site.translation_url(translation)
        if url not in seen:
            seen.add(url)
            links.append(fx.AtomLink(url, rel="alternate", type=HTML_TYPE, hreflang=translation.language))
    if article.source_url:  # the page on the magazine's site the issue came from
        links.append(fx.AtomLink(article.source_url, rel="via", type=HTML_TYPE))
    for related in article.related:
        if related.url and related.url not in seen:
            seen.add(related.url)
            links.append(fx.AtomLink(related.url, rel="related", type=HTML_TYPE, title=related.title))
    fx.set_entry_links(entry, links)
    if not _same_language(issue.language, site.language):
        fx.set_entry_language(entry, issue.language)
    if article.lead_image:
        fx.set_entry_image(entry, article.lead_image)


# --- RSS 2.0 ------------------------------------------------------------------------------


def _rss(site: Site, items: Sequence[FeedEntry], home: str = "", updated: dt.datetime | None = None) -> bytes:
    from . import feedgen_fixes as fx  # feedgen and lxml: only when a feed is made

    fg = fx.new_feed(_newest(items) if updated is None else updated, hub=site.websub_hub)
    fg.title(site.title)
    fg.description(site.subtitle or site.title)  # required by RSS
    fg.language(site.language)
    fg.generator(GENERATOR)
    if site.logo:
        fg.logo(site.logo)
    if site.rights:
        fg.rights(site.rights)
    fx.set_feed_links(
        fg,
        [
            fx.AtomLink(site.base_url + home + RSS_PATH, rel="self", type=RSS_TYPE),
            fx.AtomLink(site.base_url + home, rel="alternate", type=HTML_TYPE),
        ],
    )
    view = _RSS.view(site)
    for item in items:
        _rss_item(fg, view, item)
    return fx.rss_bytes(fg)


def _rss_item(fg: Any, site: Site, item: FeedEntry) -> None:
    """The item of `item` in the RSS feed `fg`, written from the site as entries show it."""
    from . import feedgen_fixes as fx

    issue, article = item.issue, item.issue.article
    entry = fx.new_entry(fg, item.updated)
    entry.guid(issue.id, permalink=False)
    entry.title(article.title)
    fx.set_entry_links(entry, [fx.AtomLink(item.url)])
    entry.published(item.published)
    if article.summary:  # readers take an RSS description as HTML: escape the plain text
        entry.summary(html.escape(article.summary, quote=False))
    entry.content(item.content_html)  # content:encoded beside the summary's description
    entry.dc.dc_creator([a.name for a in article.authors] or [_feed_author(site)])
    if not _same_language(issue.language, site.language):
        entry.dc.dc_language(issue.language)
    for tag in article.tags:
        entry.category(term=tag)
    if article.lead_image:
        fx.set_entry_image(entry, article.lead_image)


# --- JSON Feed 1.1 ------------------------------------------------------------------------


def _json_feed(
    site: Site, items: Sequence[FeedEntry], home: str = "", updated: dt.datetime | None = None
) -> bytes:
    """The JSON Feed of `items` (it has no date of its own: `updated` is not written)."""
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": site.title,
        "home_page_url": site.base_url + home,
        "feed_url": site.base_url + home + JSON_PATH,
    }
    if site.subtitle:
        feed["description"] = site.subtitle
    if site.logo:
        feed["icon"] = site.logo
    if site.icon:
        feed["favicon"] = site.icon
    feed["language"] = site.language
    if site.websub_hub:
        feed["hubs"] = [{"type": "WebSub", "url": site.websub_hub}]
    feed["authors"] = [{"name": _feed_author(site)}]
    view = _JSON.view(site)
    feed["items"] = [_json_item(view, item) for item in items]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_person(person: Person) -> dict[str, str]:
    return {"name": person.name, "url": person.url} if person.url else {"name": person.name}


def _json_item(site: Site, item: FeedEntry) -> dict[str, Any]:
    issue, article = item.issue, item.issue.article
    out: dict[str, Any] = {
        "id": issue.id,
        "url": item.url,
        "title": article.title,
        "content_html": item.content_html,
    }
    if article.source_url:
        out["external_url"] = article.source_url
    if article.summary:
        out["summary"] = article.summary
    if article.lead_image:
        out["image"] = article.lead_image.url
    out["date_published"] = item.published.isoformat()
    out["date_modified"] = item.updated.isoformat()
    if article.authors:
        out["authors"] = [_json_person(a) for a in article.authors]
    if article.tags:
        out["tags"] = list(article.tags)
    out["language"] = issue.language
    extension: dict[str, Any] = {}
    if article.related:
        extension["related"] = [
            {"title": r.title, "url": r.url} if r.url else {"title": r.title} for r in article.related
        ]
    if article.translators:
        extension["translators"] = [_json_person(t) for t in article.translators]
    if article.translated_from:
        extension["translated_from"] = article.translated_from
    if article.translations:
        extension["translations"] = [
            {"language": t.language, "url": site.translation_url(t)} for t in article.translations
        ]
    if extension:
        out["_newsletter"] = extension  # JSON Feed extensions start with "_"
    return out
