"""An article web page (WordPress/Yoast and the like) -> Draft.

Metadata comes from the most explicit source a page offers, in this order: JSON-LD
(`Article`, also inside Yoast's `@graph`), then `og:`/`article:` meta, then microformats
(`h1.entry-title`, `.author.vcard .fn`, `time[datetime]`, `a[rel~=tag]`), then the site
profile's text markers. Bylines written in the text ("A für Novastan") win over structured
authors, because the account that posted a page is often an editor, not the author.

The body is read from the content element into blocks. Everything a newsletter must not
carry is dropped on the way: the profile's donation box and social footer, share buttons,
forms, comments, scripts, trackers. Every kept fragment goes through `clean_html`, and every
URL is made absolute against the page's canonical address (or the `base_url` it was fetched
from), since an email has no page to resolve a relative link against.
"""

from __future__ import annotations

import datetime as dt
import functools
import html as htmllib
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import (
    BeautifulSoup,
    Comment,
    MarkupResemblesLocatorWarning,
    NavigableString,
    Tag,
    XMLParsedAsHTMLWarning,
)
from bs4.element import Doctype, ProcessingInstruction

from ..errors import NewsletterError
from ..inline_text import clean_inline_text
from ..model import Article, Block, Link, Person, RelatedLink, Section
from ..sanitize import clean_html
from .draft import Draft
from .profiles import (
    LanguageRules,
    Profile,
    byline_names,
    byline_role,
    detect_profile,
    phrase_pattern,
    related_title,
    split_names,
    translator_names,
)

# Deeper elements are unwrapped (their text stays): no later stage meets a 10,000-deep tree.
MAX_DEPTH = 64
MAX_JSON_LD_CHARS = 2_000_000
MAX_LINE_CHARS = 300  # a byline or a related link is one short line

# Removed with their content wherever they are.
_DROP_TAGS = {
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed",
    "applet", "svg", "math", "canvas", "form", "input", "button", "select", "textarea", "nav",
    "aside", "link", "meta", "base", "title", "head", "audio", "video", "dialog", "menu",
}  # fmt: skip
# Inside the content these are page furniture (title block, tag list, share row), not text.
_DROP_IN_CONTENT = {"header", "footer"}
# A class or id made of one of these words marks an ad, a share row, a form, comments …
_JUNK_WORDS = {
    "ad", "ads", "adsbygoogle", "advert", "advertisement", "adzone", "sponsor", "sponsored",
    "share", "shares", "sharing", "sharedaddy", "shariff", "addtoany", "a2a", "ssba", "heateor",
    "sfsi", "essb", "social", "socials", "related", "relatedposts", "yarpp", "crp", "subscribe",
    "subscription", "newsletter", "mc4wp", "optin", "signup", "comment", "comments", "respond",
    "disqus", "cookie", "cookies", "consent", "gdpr", "popup", "modal", "breadcrumb",
    "breadcrumbs", "pagination", "navigation", "nav", "sidebar", "widget", "button", "buttons",
    "meta", "tags", "screen", "sr", "print", "hidden",
}  # fmt: skip
# WordPress labels a post with its tags and categories ("tag-social-media"): no furniture.
_TAXONOMY = re.compile(r"^(?:tag|category|post_tag|format|type|status)-")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CONTAINERS = {
    "div", "section", "article", "main", "header", "footer", "center", "details", "summary",
    "address", "body", "html", "fieldset", "hgroup", "search",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {
    *_CONTAINERS, *_HEADINGS, "p", "ul", "ol", "dl", "blockquote", "figure", "pre", "table", "hr",
}  # fmt: skip
_LINE_BREAKERS = {*_BLOCKS, "li", "dt", "dd", "tr", "figcaption", "caption", "br"}
_CONTENT_SELECTORS = (
    ".entry-content",
    "article",
    "[itemprop~=articleBody]",
    ".post-content, .article-content, .article-body",
    "main, [role=main]",
)
_TITLE_SEPARATORS = (" – ", " — ", " - ", " | ", " · ", " :: ", " » ", " : ")
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
# NUL, C0 controls, lone surrogates, noncharacters: invalid in HTML; lxml refuses some outright.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_ARTICLE_TYPES = {"article", "blogposting", "report", "liveblogposting", "socialmediaposting"}


def _parse(markup: str, parser: str) -> BeautifulSoup:
    """BeautifulSoup without its advice: an XHTML prolog or a page that looks like a URL is fine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, parser)


# --- the page's facts ------------------------------------------------------------------------


@dataclass
class _Facts:
    """What one layer of the page (JSON-LD, meta, microformats) says; None when silent."""

    title: str | None = None
    summary: str | None = None
    url: str | None = None
    language: str | None = None
    date: dt.datetime | None = None
    authors: list[Person] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    image_alt: str | None = None
    site_names: list[str] = field(default_factory=list)


def _text(value: Any) -> str | None:
    """A JSON-LD or attribute value as one clean line, or None."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    return clean_inline_text(htmllib.unescape(value)) or None


def _page_date(value: Any) -> dt.datetime | None:
    """An aware datetime from an ISO 8601 string; None for a date without time zone or junk."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _types(node: Mapping[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {v.rsplit("/", 1)[-1].rsplit(":", 1)[-1].casefold() for v in values if isinstance(v, str)}


def _json_ld_nodes(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, `@graph` members included; broken scripts are skipped."""
    nodes: list[dict[str, Any]] = []
    for script in soup.find_all("script"):
        if str(script.get("type", "")).strip().lower() != "application/ld+json":
            continue
        raw = script.get_text()
        if len(raw) > MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue  # malformed JSON-LD is common and never fatal
        stack: list[tuple[Any, int]] = [(data, 0)]
        while stack:
            item, depth = stack.pop()
            if depth > 4:
                continue
            if isinstance(item, list):
                stack.extend((v, depth + 1) for v in reversed(item))
            elif isinstance(item, dict):
                nodes.append(item)
                if "@graph" in item:
                    stack.append((item["@graph"], depth + 1))
    return nodes


def _json_ld_facts(soup: BeautifulSoup) -> _Facts:
    nodes = _json_ld_nodes(soup)
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("@id"), str) and len(value) == 1:
            return by_id.get(value["@id"], value)
        return value

    facts = _Facts()
    for n in nodes:
        types = _types(n)
        if types & {"website", "organization", "newsmediaorganization"}:
            name = _text(n.get("name"))
            if name:
                facts.site_names.append(name)
    article = next(
        (n for n in nodes if any(t.endswith("article") or t in _ARTICLE_TYPES for t in _types(n))), None
    )
    if article is None:
        return facts
    page = resolve(article.get("mainEntityOfPage")) or resolve(article.get("isPartOf"))
    if not isinstance(page, dict):
        page = next((n for n in nodes if any(t.endswith("webpage") for t in _types(n))), {})
    publisher = resolve(article.get("publisher"))
    if isinstance(publisher, dict) and _text(publisher.get("name")):
        facts.site_names.append(_text(publisher.get("name")) or "")

    facts.title = _text(article.get("headline")) or _text(article.get("name"))
    facts.summary = _text(article.get("description")) or _text(page.get("description"))
    facts.language = _text(article.get("inLanguage")) or _text(page.get("inLanguage"))
    facts.date = _page_date(article.get("datePublished"))
    url = article.get("mainEntityOfPage")
    facts.url = _text(url) or _text(page.get("url")) or _text(page.get("@id")) or _text(article.get("url"))

    authors = article.get("author")
    for a in authors if isinstance(authors, list) else [authors]:
        a = resolve(a)
        if isinstance(a, str):
            name, url = _text(a), None
        elif isinstance(a, dict) and not any("organization" in t for t in _types(a)):
            name, url = _text(a.get("name")), _text(a.get("url"))
        else:
            continue
        if name:
            facts.authors.append(Person(name, url))

    for key in ("articleSection", "keywords"):
        value = article.get(key)
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list):
            facts.tags.extend(t for t in (_text(v) for v in value) if t)

    image = resolve(article.get("image")) or resolve(page.get("primaryImageOfPage"))
    if isinstance(image, list):
        image = resolve(image[0]) if image else None
    if isinstance(image, dict):
        facts.image = _text(image.get("contentUrl")) or _text(image.get("url"))
        facts.image_alt = _text(image.get("caption")) or _text(image.get("description"))
    else:
        facts.image = _text(image)
    return facts


def _meta_values(soup: BeautifulSoup) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for m in soup.find_all("meta"):
        key = m.get("property") or m.get("name") or m.get("itemprop")
        content = m.get("content")
        if isinstance(key, str) and isinstance(content, str):
            values.setdefault(key.strip().lower(), []).append(content)
    return values


def _meta_facts(meta: Mapping[str, list[str]]) -> _Facts:
    def one(*keys: str) -> str | None:
        return next((t for k in keys for t in map(_text, meta.get(k, [])) if t), None)

    facts = _Facts(
        title=one("og:title", "twitter:title"),
        summary=one("og:description", "description", "twitter:description"),
        url=one("og:url"),
        language=one("og:locale", "language", "content-language"),
        date=next(
            (
                d
                for k in ("article:published_time", "datepublished")
                for v in meta.get(k, [])
                if (d := _page_date(v))
            ),
            None,
        ),
        image=one("og:image:secure_url", "og:image", "og:image:url", "twitter:image"),
        image_alt=one("og:image:alt", "twitter:image:alt"),
        site_names=[t for t in map(_text, meta.get("og:site_name", [])) if t],
    )
    for key in ("article:author", "author"):
        for value in meta.get(key, []):
            name = _text(value)
            if name and not urlsplit(name).scheme:  # article:author is often a profile URL
                facts.authors.append(Person(name))
        if facts.authors:
            break
    for key in ("article:section", "article:tag"):
        facts.tags.extend(t for t in map(_text, meta.get(key, [])) if t)
    return facts


def _microformat_facts(soup: BeautifulSoup) -> _Facts:
    facts = _Facts()
    h1 = soup.select_one("h1.entry-title, h1.p-name, h1.post-title") or soup.select_one(
        "article h1"
    ) or soup.find("h1")  # fmt: skip
    if isinstance(h1, Tag):
        facts.title = _inline_text(h1) or None
    for el in soup.select(".author.vcard .fn, .h-card.p-author .p-name, a[rel~=author]"):
        name = _inline_text(el)
        href = el.get("href") if el.name == "a" else None
        if name and not any(p.name == name for p in facts.authors):
            facts.authors.append(Person(name, href if isinstance(href, str) else None))
    time = soup.select_one(
        "time.published[datetime], time.entry-date[datetime], time.dt-published[datetime]"
    ) or soup.select_one("time[datetime]")  # fmt: skip
    if isinstance(time, Tag):
        facts.date = _page_date(time.get("datetime"))
    facts.tags = [t for t in (_inline_text(a) for a in soup.select("a[rel~=tag]")) if t]
    title = soup.find("title")
    if isinstance(title, Tag) and not facts.title:
        facts.title = _inline_text(title) or None
    return facts


def _strip_site_suffix(title: str, site_names: Iterable[str]) -> str:
    """ "Headline – Novastan" -> "Headline": og:title and <title> often carry the site name."""
    for name in site_names:
        for sep in _TITLE_SEPARATORS:
            for pattern in (re.escape(sep + name) + "$", "^" + re.escape(name + sep)):
                stripped = re.sub(pattern, "", title, flags=re.I).strip()
                if stripped and stripped != title:
                    return stripped
    return title


def _is_site(name: str, site_names: Iterable[str]) -> bool:
    """True for "Novastan" when the site is "Novastan" or "Novastan.org": never an author."""
    n = name.casefold()
    for site in site_names:
        s = site.casefold()
        short, long = sorted((n, s), key=len)
        if long.startswith(short) and (len(long) == len(short) or not long[len(short)].isalnum()):
            return True
    return False


def _language_code(value: str | None) -> str | None:
    m = _LANGUAGE.match(value.strip()) if value else None
    return m.group(1).lower() if m else None


# --- URLs --------------------------------------------------------------------------------------


def _absolute_url(url: str, base: str | None) -> str | None:
    """`url` made absolute against `base`; None unless it ends up http(s) or mailto."""
    url = re.sub(r"[\t\n\r]", "", url).strip(_C0_AND_SPACE)  # as browsers read an href
    if not url:
        return None
    try:
        joined = urljoin(base, url) if base else url
        parts = urlsplit(joined)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.netloc:
        return joined
    if scheme == "mailto":
        return joined
    return None


def _canonical(soup: BeautifulSoup, base_url: str | None, facts: Iterable[_Facts]) -> str | None:
    """The page's own address: canonical link, else og:url, else JSON-LD url.

    A page's <base href> is never trusted: a hostile page could point every link elsewhere.
    """
    base = _absolute_url(base_url, None) if base_url else None
    canonical = soup.find("link", rel=lambda r: r is not None and "canonical" in r)
    candidates = [canonical.get("href") if isinstance(canonical, Tag) else None, *(f.url for f in facts)]
    for c in candidates:
        url = _absolute_url(c, base) if isinstance(c, str) else None
        if url and not url.startswith("mailto:"):
            return url
    return None


def _resolve_urls(tag: Tag, base: str | None) -> None:
    """Absolute href/src (lazy-loaded images get their real source), no srcset."""
    for el in [tag, *tag.find_all(True)]:
        if el.name == "img":
            lazy = el.get("data-lazy-src") or el.get("data-src") or el.get("data-orig-file")
            src = str(el.get("src") or "")
            if isinstance(lazy, str) and (not src.strip() or src.strip().lower().startswith("data:")):
                el["src"] = lazy
        for attr in ("srcset", "data-srcset", "sizes"):
            if attr in el.attrs:
                del el[attr]
        for attr in ("href", "src", "cite"):
            value = el.get(attr)
            if value is None:
                continue
            url = _absolute_url(str(value), base)
            if url:
                el[attr] = url
            else:
                del el[attr]
        if el.name == "a" and "href" not in el.attrs and el is not tag:
            el.unwrap()  # a link that went nowhere (javascript:, no base) is just its text


# --- cleaning the tree -------------------------------------------------------------------------


# Void in HTML5, but libxml2's HTML 4 parser lets them swallow what follows ("a<wbr>b").
_VOID_AS_CONTAINER = ("embed", "source", "track", "wbr", "keygen")


def _repair_void_elements(soup: BeautifulSoup) -> None:
    """Move what lxml put inside a void element back after it."""
    for el in reversed(soup.find_all(_VOID_AS_CONTAINER)):
        if el.contents:
            el.insert_after(*[c.extract() for c in list(el.contents)])


def _flatten_deep(soup: BeautifulSoup, max_depth: int = MAX_DEPTH) -> None:
    """Replace what lies below `max_depth` by its plain text: hostile pages nest 10,000 deep.

    Iterative, and linear: bs4's unwrap() is quadratic on such chains.
    """
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        tag, depth = stack.pop()
        children = [c for c in tag.children if isinstance(c, Tag)]
        if depth >= max_depth and children:
            text = " ".join(str(n) for n in tag.descendants if type(n) is NavigableString)
            tag.clear()
            tag.append(" ".join(text.split()))
            continue
        stack.extend((c, depth + 1) for c in children)


def _is_junk(el: Tag) -> bool:
    if el.name in _DROP_TAGS or el.has_attr("hidden"):
        return True
    if str(el.get("aria-hidden", "")).lower() == "true" and not el.find("img"):
        return True
    if _HIDDEN_STYLE.search(str(el.get("style", ""))):
        return True
    classes: Any = el.get("class") or []
    classes = [c for c in (classes if isinstance(classes, list) else [classes]) if not _TAXONOMY.match(c)]
    names = [*classes, str(el.get("id") or "")]
    words = {w for n in names for w in re.split(r"[-_\s]+", str(n).lower()) if w}
    return bool(words & _JUNK_WORDS)


def _drop_junk(content: Tag) -> None:
    """Remove furniture inside the content; a junk-looking wrapper around most text stays."""
    for c in content.find_all(string=lambda s: isinstance(s, Comment | Doctype | ProcessingInstruction)):
        c.extract()
    total = len(content.get_text())
    for el in content.find_all(True):
        if el.decomposed:
            continue
        if el.name in _DROP_IN_CONTENT or _is_junk(el):
            if el.name not in _DROP_TAGS and total > 500 and len(el.get_text()) > total / 2:
                continue  # a wrapper with a misleading class ("has-sidebar"): keep its text
            el.decompose()


def _content_element(soup: BeautifulSoup) -> Tag:
    """The element holding the article text: the first selector that matches, its longest match."""
    for selector in _CONTENT_SELECTORS:
        found = soup.select(selector)
        if found:
            return max(found, key=lambda el: len(el.get_text()))
    body = soup.find("body")
    return body if isinstance(body, Tag) else soup


# --- text --------------------------------------------------------------------------------------


def _inline_text(tag: Tag) -> str:
    """One line of text: inline markup joins words as written, <br> becomes a space."""
    return clean_inline_text("".join(" " if isinstance(n, Tag) else str(n) for n in _text_nodes(tag)))


def _text_nodes(tag: Tag) -> Iterator[NavigableString | Tag]:
    """Text in order, with <br> as a Tag marker (for callers that break lines there)."""
    for node in tag.descendants:
        if (isinstance(node, Tag) and node.name == "br") or type(node) is NavigableString:
            yield node


def _tag_lines(root: Tag) -> list[str]:
    """Plain text, one line per paragraph, list item or <br>; iterative, without changing the tree."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            parts.append("\n")
        elif isinstance(node, Tag):
            if node.name in _LINE_BREAKERS:
                parts.append("\n")
                stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.contents))
        elif type(node) is NavigableString:
            parts.append(str(node))
    return [line for line in (clean_inline_text(s) for s in "".join(parts).split("\n")) if line]


def _lines(html: str) -> list[str]:
    """Plain text of a sanitized fragment, one line per paragraph, list item or <br>."""
    return _tag_lines(_parse(html, "html.parser"))


def _links(html: str) -> tuple[Link, ...]:
    frag = _parse(html, "html.parser")
    out = []
    for a in frag.find_all("a", href=True):
        href = str(a["href"])
        if href.startswith(("http://", "https://", "mailto:")):
            out.append(Link(clean_inline_text(a.get_text("")) or href, href))
    return tuple(out)


# --- the profile's phrases inside HTML ----------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _phrase_regex(phrase: str) -> re.Pattern[str]:
    # a phrase starts at a block's start, after whitespace, or after sentence punctuation
    return re.compile(r"(?<![^\s.!?\u2026\"'\u201c\u201d\u201e\u00ab\u00bb])" + phrase_pattern(phrase), re.I)


def _cut_span(tag: Tag, start: int, end: int) -> None:
    """Remove characters start..end of the tag's concatenated text, across text nodes."""
    pos = 0
    for node in [n for n in _text_nodes(tag) if isinstance(n, NavigableString)]:
        a, b = pos, pos + len(node)
        pos = b
        if b <= start or a >= end:
            continue
        kept = str(node)[: max(start - a, 0)] + str(node)[min(end - a, len(node)) :]
        if kept:
            node.replace_with(kept)
        else:
            node.extract()


def _plain(tag: Tag) -> str:
    return "".join(str(n) for n in _text_nodes(tag) if isinstance(n, NavigableString))


def _cut_phrases(tag: Tag, phrases: Iterable[str], *, to_end: bool = False) -> bool:
    """Cut each phrase (and with `to_end` everything after it) out of the tag's text."""
    cut = False
    for phrase in phrases:
        pattern = _phrase_regex(phrase)
        while m := pattern.search(_plain(tag)):
            _cut_span(tag, m.start(), len(_plain(tag)) if to_end else m.end())
            cut = True
    return cut


def _trim(tag: Tag) -> None:
    """Drop emptied inline elements and <br> left at either end after a cut."""
    for el in reversed(tag.find_all(True)):
        if el.name not in ("br", "img") and not el.get_text().strip() and not el.find(["img", "br"]):
            el.decompose()
    for children in (lambda: list(tag.children), lambda: list(reversed(list(tag.children)))):
        for node in children():
            if (isinstance(node, Tag) and node.name == "br") or (
                isinstance(node, NavigableString) and not node.strip()
            ):
                node.extract()
            else:
                break


def _boilerplate_phrases(rules: LanguageRules) -> list[str]:
    return [p for box in rules.boilerplate for p in (box.start, *box.text)]


def _is_boilerplate_box(el: Tag, rules: LanguageRules) -> bool:
    """A wrapper whose text is the profile's donation box and little else (a button label)."""
    if not rules.boilerplate:
        return False
    text = _plain(el)
    if not any(_phrase_regex(b.start).match(text.lstrip()) for b in rules.boilerplate):
        return False
    rest = text
    for phrase in _boilerplate_phrases(rules):
        rest = _phrase_regex(phrase).sub("", rest)
    return len(" ".join(rest.split())) <= 80


# --- the body ----------------------------------------------------------------------------------


def _has_block(tag: Tag) -> bool:
    return tag.find(_BLOCKS) is not None


def _items(container: Tag, soup: BeautifulSoup) -> list[Tag]:
    """The container's children as blocks: runs of text and inline elements become a <p>."""
    items: list[Tag] = []
    run: list[Any] = []

    def flush() -> None:
        if any(isinstance(n, Tag) or n.strip() for n in run):
            p = soup.new_tag("p")
            for n in run:
                p.append(n.extract())
            items.append(p)
        run.clear()

    for child in list(container.children):
        if isinstance(child, Tag) and (child.name in _BLOCKS or _has_block(child)):
            flush()
            items.append(child)
        elif isinstance(child, Tag) or type(child) is NavigableString:
            run.append(child)
    flush()
    return items


@dataclass
class _Body:
    """The blocks read so far and what was lifted out of the text on the way."""

    rules: LanguageRules
    title: str
    sections: list[Section] = field(default_factory=list)
    heading: str | None = None
    blocks: list[Block] = field(default_factory=list)
    related: list[RelatedLink] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    translators: list[str] = field(default_factory=list)
    in_footer: bool = False
    pending_name: tuple[str, ...] | None = None  # a name line that a role line may claim

    def new_section(self, heading: str) -> None:
        if self.blocks:
            self.sections.append(Section(self.heading, tuple(self.blocks)))
        self.heading, self.blocks = heading, []

    def finish(self) -> tuple[Section, ...]:
        if self.blocks:
            self.sections.append(Section(self.heading, tuple(self.blocks)))
        return tuple(self.sections)

    def credits(self, lines: list[str]) -> bool:
        """Move a paragraph of byline/translator lines to the credits; False if it is prose.

        A role line ("Redakteurin für Novastan") credits the name on the line before, or in
        the one-line paragraph before, which is then taken back out of the body.
        """
        rules = self.rules
        found: list[tuple[str, tuple[str, ...]]] = []
        take_back = False
        i = 0
        while i < len(lines):
            line, after = lines[i], lines[i + 1] if i + 1 < len(lines) else None
            if names := byline_names(line, rules):
                found.append(("author", names))
            elif names := translator_names(line, rules):
                found.append(("translator", names))
            elif after is not None and byline_role(after, rules) and (names := split_names(line, rules)):
                found.append(("author", names))
                i += 1
            elif i == 0 and byline_role(line, rules) and self.pending_name and self.blocks:
                found.append(("author", self.pending_name))
                take_back = True
            else:
                return False
            i += 1
        if take_back:
            self.blocks.pop()
        for kind, names in found:
            target = self.authors if kind == "author" else self.translators
            target.extend(n for n in names if n not in target)
        return True

    def paragraph(self, tag: Tag) -> None:
        self.pending_name = None
        lines = [line for line in _lines(tag.decode_contents()) if line]
        if not lines:
            html = clean_html(tag.decode_contents()).strip()
            if "<img" in html:
                alt = " ".join(str(img.get("alt") or "") for img in tag.find_all("img")).strip()
                self.blocks.append(Block("image", f"<p>{html}</p>", clean_inline_text(alt), _links(html)))
            return
        if all(len(line) <= MAX_LINE_CHARS for line in lines) and self.credits(lines):
            return
        if self.in_footer:
            return
        if len(lines) == 1 and len(lines[0]) <= MAX_LINE_CHARS:
            title = related_title(lines[0], self.rules)
            if title:
                link = next(iter(_links(clean_html(tag.decode_contents()))), None)
                self.related.append(RelatedLink(title, link.href if link else None))
                self.blocks.append(Block("related", related_index=len(self.related) - 1))
                return
        html = clean_html(tag.decode_contents()).strip()
        text = "\n".join(_lines(html))
        if not text:
            return
        self.blocks.append(Block("paragraph", html, text, _links(html)))
        if len(lines) == 1 and split_names(lines[0], self.rules) and len(lines[0]) <= 80:
            self.pending_name = split_names(lines[0], self.rules)

    def block(self, kind: str, tag: Tag) -> None:
        self.pending_name = None
        if self.in_footer:
            return
        html = clean_html(str(tag)).strip()
        text = tag.get_text().strip("\n") if kind == "code" else "\n".join(_lines(html))
        if kind == "image" and not text:
            text = " ".join(str(img.get("alt") or "") for img in tag.find_all("img")).strip()
        if kind == "image" and "<img" not in html:
            return  # an embed whose player was removed; a caption alone means nothing
        if text or "<img" in html:
            self.blocks.append(Block(kind, html, text, _links(html)))  # type: ignore[arg-type]


def _walk(content: Tag, soup: BeautifulSoup, rules: LanguageRules, title: str, base: str | None) -> _Body:
    """Blocks in document order, descending through wrappers without recursion."""
    body = _Body(rules, title)
    phrases = _boilerplate_phrases(rules)
    stack: list[list[Tag]] = [list(reversed(_items(content, soup)))]
    while stack:
        if not stack[-1]:
            stack.pop()
            continue
        el = stack[-1].pop()
        name = el.name
        if (
            name in _CONTAINERS
            or (name not in _BLOCKS - _CONTAINERS and _has_block(el))
            or (name == "p" and _has_block(el))
        ):
            if not _is_boilerplate_box(el, rules):
                stack.append(list(reversed(_items(el, soup))))
            continue
        if name == "hr":
            continue
        footer_here = False
        if name not in ("pre", "table"):
            if phrases and _cut_phrases(el, phrases):
                _trim(el)
            if rules.footer_starts and _cut_phrases(el, rules.footer_starts, to_end=True):
                _trim(el)
                footer_here = True
        if el.get_text().strip() or el.find("img"):
            _resolve_urls(el, base)
            _add_block(body, el)
        # a footer phrase before any text is a promo line, not the end of the article
        body.in_footer = body.in_footer or (footer_here and bool(body.blocks or body.sections))
    return body


def _add_block(body: _Body, el: Tag) -> None:
    name = el.name
    if name in _HEADINGS:
        text = _inline_text(el)
        if name == "h1" and text.casefold() == body.title.casefold():
            return  # the title repeated above the text
        if body.in_footer or not text:
            return
        if name in ("h1", "h2"):
            body.pending_name = None
            body.new_section(text)
        else:
            level = "h3" if name == "h3" else "h4"
            body.block("html", _retag(el, level))
    elif name in ("ul", "ol", "dl"):
        body.block("list", el)
    elif name == "blockquote":
        body.block("quote", el)
    elif name == "pre":
        body.block("code", el)
    elif name == "figure":
        kind = "image" if el.find("img") else "quote" if el.find("blockquote") else "html"
        body.block(kind, el)
    elif name == "table":
        body.block("html", el)
    else:
        body.paragraph(el)


def _retag(el: Tag, name: str) -> Tag:
    el.name = name
    el.attrs = {}
    return el


# --- the reader --------------------------------------------------------------------------------


def _first(values: Iterable[Any]) -> Any:
    """The first truthy value, or None."""
    return next((v for v in values if v), None)


def read_html(
    html: str,
    *,
    profiles: Mapping[str, Profile],
    profile: str | None = None,
    language: str | None = None,
    base_url: str | None = None,
    path: str = "<html>",
    max_depth: int = MAX_DEPTH,
) -> Draft:
    """Read an article page into a Draft, or raise one NewsletterError naming `path`.

    `base_url` is where the page was fetched from; for a saved file (None) relative links
    resolve against the page's canonical link or og:url, and are dropped when it has neither.
    Elements nested deeper than `max_depth` ([limits] max_html_depth) keep only their text.
    """
    soup = _parse(_UNSAFE_CHARS.sub("", html), "lxml")
    _repair_void_elements(soup)
    _flatten_deep(soup, max_depth)
    meta = _meta_values(soup)
    layers = [_json_ld_facts(soup), _meta_facts(meta), _microformat_facts(soup)]
    site_names = [n for f in layers for n in f.site_names]

    title = _first(f.title for f in layers[:1])
    if not title:
        og_title = layers[1].title or None
        title = _strip_site_suffix(og_title, site_names) if og_title else None
    if not title and layers[2].title:
        title = _strip_site_suffix(layers[2].title, site_names)
    if not title:
        raise NewsletterError(
            "has no article title (no JSON-LD headline, og:title, <h1> or <title>); is it an article page?",
            path=path,
        )

    canonical = _canonical(soup, base_url, layers)
    base = (_absolute_url(base_url, None) if base_url else None) or canonical
    page_lang = _first(
        _language_code(v)
        for v in (
            str(soup.html.get("lang") or "") if isinstance(soup.html, Tag) else None,
            layers[1].language,
            layers[0].language,
        )
    )
    content = _content_element(soup)
    _drop_junk(content)
    text = "\n".join(_tag_lines(content))
    lang = language.strip() if language and language.strip() else page_lang
    try:
        chosen, rules = detect_profile(text, profiles, profile=profile, language=lang)
    except NewsletterError as e:
        if e.path:
            raise
        raise NewsletterError(e.message, path=path) from None

    body = _walk(content, soup, rules, title, base)
    sections = tuple(s for s in body.finish() if s.blocks)
    if not any(b.text for s in sections for b in s.blocks):
        raise NewsletterError(
            "has no article text (no paragraphs in .entry-content, <article>, <main> or <body>)",
            path=path,
        )

    structured = _first(
        [p for p in f.authors if not _is_site(p.name, site_names)] for f in layers
    ) or []  # fmt: skip
    urls = {p.name.casefold(): _absolute_url(p.url, base) if p.url else None for p in structured}
    names = body.authors or [p.name for p in structured]
    first_paragraph = next((b.text for s in sections for b in s.blocks if b.kind == "paragraph"), "")
    first_paragraph = " ".join(first_paragraph.split())  # a summary is one line
    article = Article(
        title=title,
        summary=_first(f.summary for f in layers) or first_paragraph,
        sections=sections,
        authors=tuple(Person(n, urls.get(n.casefold())) for n in _unique(names)),
        translators=tuple(Person(n) for n in _unique(body.translators)),
        tags=_unique(_first(f.tags for f in layers) or ()),
        related=tuple(body.related),
        source_url=canonical or base,
        image=_first(_absolute_url(f.image, base) for f in layers if f.image),
        image_alt=_first(f.image_alt for f in layers) or "",
    )
    return Draft(
        article=article,
        language=lang or rules.language,
        date=_first(f.date for f in layers),
        profile=chosen.name,
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for v in values:
        seen.setdefault(v.casefold(), v)
    return tuple(seen.values())
