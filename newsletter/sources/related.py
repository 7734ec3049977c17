"""Related links without a URL ("Lest auch auf Novastan: <title>") -> URLs.

A text dump names related articles by title only. We look the title up in the site's own
index (sitemaps or feeds, from [import] site_index) and, failing that, point to the edition's
search page. A link found by neither keeps url=None: `newsletter check` reports it and the
outputs show it without a link, never with a made-up one.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import re
import socket
import threading
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import NewsletterError
from ..model import Language, RelatedLink
from .decode import read_limited
from .front_matter import slugify

USER_AGENT = "newsletter/0.1"
MAX_INDEX_BYTES = 50_000_000  # the sitemap protocol's own limit
MAX_SITEMAPS = 200  # a sitemap index may point to more; past this we stop reading

_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "image": "http://www.google.com/schemas/sitemap-image/1.1",
    "atom": "http://www.w3.org/2005/Atom",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def normalize_title(title: str) -> str:
    """A title reduced to what two spellings of it share: case, accents, dashes, quotes,
    punctuation and spacing do not count."""
    text = unicodedata.normalize("NFKD", html.unescape(title).replace("ß", "ss")).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    return " ".join(text.split())


def _slugs(title: str) -> set[str]:
    # WordPress spells ä as "ae" in German slugs; other sites drop the accent
    return {slugify(title, max_length=500), slugify(title, max_length=500, language="de")}


def url_slug(url: str) -> str:
    """The last path segment of a URL as a slug: ".../de/kasachstan/putin-in-kirgistan/" ->
    "putin-in-kirgistan"."""
    path = urllib.parse.urlsplit(url).path
    segments = [s for s in path.split("/") if s]
    if not segments:
        return ""
    last = urllib.parse.unquote(segments[-1])
    last = re.sub(r"\.(html?|php|aspx?)$", "", last, flags=re.I)
    return slugify(last, max_length=500) if last else ""


@dataclass(frozen=True)
class IndexEntry:
    """One page of the site: its URL, its title when the index gives one, its language."""

    url: str
    title: str | None = None
    language: str | None = None

    def in_language(self, language: str) -> bool | None:
        """True/False when the entry's language is known (from the index or a /de/ path)."""
        if self.language:
            return Language(self.language).matches(language)
        segments = urllib.parse.urlsplit(self.url).path.lower().split("/")
        if Language(language).primary in segments:
            return True
        return None


@dataclass
class SiteIndex:
    """The site's pages, looked up by normalized title or by URL slug."""

    entries: list[IndexEntry] = field(default_factory=list)
    _by_title: dict[str, list[IndexEntry]] = field(default_factory=dict, repr=False)
    _by_slug: dict[str, list[IndexEntry]] = field(default_factory=dict, repr=False)

    def add(self, entry: IndexEntry) -> None:
        self.entries.append(entry)
        if entry.title and (key := normalize_title(entry.title)):
            self._by_title.setdefault(key, []).append(entry)
        if slug := url_slug(entry.url):
            self._by_slug.setdefault(slug, []).append(entry)

    def find(self, title: str, language: str | None = None) -> str | None:
        """The URL of the page titled `title`, preferring one in `language`; None if unknown."""
        candidates: list[IndexEntry] = list(self._by_title.get(normalize_title(title), []))
        for slug in sorted(_slugs(title)):
            candidates.extend(self._by_slug.get(slug, []))
        if not candidates:
            return None
        if language:
            preferred = [e for e in candidates if e.in_language(language)]
            if preferred:
                return preferred[0].url
            candidates = [e for e in candidates if e.in_language(language) is None] or candidates
        return candidates[0].url


# --- reading ---------------------------------------------------------------------------------


class _Deadline:
    """Shuts down every socket of one fetch when its time is up.

    A socket timeout bounds each wait for a byte, not the fetch: a server sending one byte a
    second would keep it going for ever. This bounds the whole: connection, headers, redirects
    and body.
    """

    def __init__(self, seconds: float):
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a recv blocked in another thread


class _Watched:
    """A connection whose socket the fetch's deadline can shut down."""

    sock: socket.socket

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._deadline.watch(self.sock)


class _WatchedHTTP(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPS(_Watched, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_WatchedHTTP, req, deadline=self._deadline)  # type: ignore[arg-type]


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        context = self._context  # type: ignore[attr-defined]
        return self.do_open(_WatchedHTTPS, req, context=context, deadline=self._deadline)  # type: ignore[arg-type]


def fetch(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """The body at an http(s) URL, at most `max_bytes` + 1 bytes, all within `timeout` seconds."""
    deadline = _Deadline(timeout)
    opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    too_slow = NewsletterError(
        f"did not arrive within {timeout:g} s ([limits] fetch_timeout, for the whole download); "
        "try again later or raise it",
        path=url,
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            data: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as e:
        raise NewsletterError(f"the server answered {e.code} {e.reason}", path=url) from None
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as e:
        if deadline.expired:
            raise too_slow from None
        reason = getattr(e, "reason", None) or e
        raise NewsletterError(f"could not be fetched ({reason}); check the address", path=url) from None
    finally:
        deadline.cancel()
    if deadline.expired:  # a body without a length ends where the socket was shut: cut short
        raise too_slow
    return data


def read_location(location: str, *, root: Path, timeout: float, max_bytes: int) -> bytes:
    """The bytes at a file path (relative to `root`) or an http(s) URL, within `max_bytes`;
    a URL within `timeout` seconds in all (a deadline, not a wait per byte)."""
    scheme = urllib.parse.urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        data = fetch(location, timeout=timeout, max_bytes=max_bytes)
        if len(data) > max_bytes:
            raise NewsletterError(
                f"is over the limit of {max_bytes:,} bytes; raise [limits] max_source_bytes", path=location
            )
        return data
    if len(scheme) > 1:  # "C:" is a drive, not a scheme
        raise NewsletterError("only file paths and http(s) URLs can be read", path=location)
    path = Path(location).expanduser()
    return read_limited(path if path.is_absolute() else root / path, max_bytes)


def _parse_xml(data: bytes, where: str) -> etree._Element:
    # no entity expansion, no DTD, no network: an index is untrusted input
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        line = e.lineno if isinstance(e.lineno, int) else None
        raise NewsletterError(
            f"is not valid XML ({e.msg}); give a sitemap or a feed", path=where, line=line
        ) from None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    text = " ".join("".join(el.itertext()).split())
    if "<" in text:  # an HTML-typed feed title
        text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(text)).split())
    return html.unescape(text) or None


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _language(el: etree._Element) -> str | None:
    lang = el.get(_XML_LANG)
    return lang.strip() or None if lang else None


def _entries_from_urlset(root: etree._Element) -> Iterable[IndexEntry]:
    for url in root.iterfind("sm:url", _NS):
        loc = _text(url.find("sm:loc", _NS))
        if not loc:
            continue
        title = _text(url.find("news:news/news:title", _NS)) or _text(
            url.find("image:image/image:title", _NS)
        )
        language = _text(url.find("news:news/news:publication/news:language", _NS))
        yield IndexEntry(loc, title, language)


def _entries_from_atom(root: etree._Element) -> Iterable[IndexEntry]:
    feed_lang = _language(root)
    for entry in root.iterfind("atom:entry", _NS):
        href = None
        for link in entry.iterfind("atom:link", _NS):
            if link.get("rel", "alternate") == "alternate" and link.get("href"):
                href = link.get("href")
                break
        if href:
            yield IndexEntry(
                href.strip(), _text(entry.find("atom:title", _NS)), _language(entry) or feed_lang
            )


def _entries_from_rss(root: etree._Element) -> Iterable[IndexEntry]:
    channel = root.find("channel")
    if channel is None:
        return
    language = _text(channel.find("language"))
    for item in channel.iterfind("item"):
        link = _text(item.find("link"))
        if link:
            yield IndexEntry(link, _text(item.find("title")), language)


def load_site_index(
    sources: Sequence[str], *, root: Path, timeout: float, max_bytes: int = MAX_INDEX_BYTES
) -> SiteIndex:
    """Read sitemaps (urlset or sitemap index), Atom and RSS feeds into one SiteIndex.

    A source is a file path (relative to `root`) or an http(s) URL. A sitemap index's child
    sitemaps are read from beside the index file when a file of that name is there (an
    offline copy), else fetched.
    """
    index = SiteIndex()
    queue: list[tuple[str, Path]] = [(s, root) for s in sources]
    seen: set[str] = set()
    while queue:
        location, base = queue.pop(0)
        if location in seen:
            continue
        seen.add(location)
        if len(seen) > MAX_SITEMAPS:
            break
        doc = _parse_xml(read_location(location, root=base, timeout=timeout, max_bytes=max_bytes), location)
        kind = _local(doc.tag)
        if kind == "urlset":
            entries: Iterable[IndexEntry] = _entries_from_urlset(doc)
        elif kind == "sitemapindex":
            here = base if "://" in location else (base / location).parent
            for sm in doc.iterfind("sm:sitemap", _NS):
                loc = _text(sm.find("sm:loc", _NS))
                if not loc:
                    continue
                name = Path(urllib.parse.urlsplit(loc).path).name
                if "://" not in location and name and (here / name).is_file():
                    queue.append((str((here / name).resolve()), here))
                else:
                    queue.append((loc, here))
            continue
        elif kind == "feed":
            entries = _entries_from_atom(doc)
        elif kind == "rss":
            entries = _entries_from_rss(doc)
        else:
            raise NewsletterError(
                f"is neither a sitemap nor an Atom/RSS feed (root element <{kind}>); fix [import] site_index",
                path=location,
            )
        for entry in entries:
            index.add(entry)
    return index


def search_link(template: str, title: str) -> str:
    """The edition's search page for `title`: "{query}" -> the URL-encoded title."""
    return template.replace("{query}", urllib.parse.quote_plus(title))


def resolve_related(
    related: Sequence[RelatedLink],
    *,
    language: str,
    index: SiteIndex | None,
    search_url: str | None,
) -> tuple[RelatedLink, ...]:
    """Every link given a URL where one can be found: the index first, then the search page.

    Links that already have a URL are kept as they are; a link neither way finds keeps
    url=None.
    """
    out = []
    for link in related:
        url = link.url
        if url is None and index is not None:
            url = index.find(link.title, language)
        if url is None and search_url and "{query}" in search_url:
            url = search_link(search_url, link.title)
        out.append(replace(link, url=url))
    return tuple(out)
