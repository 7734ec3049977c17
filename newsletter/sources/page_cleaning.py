"""Parsing a page and cleaning its tree: absolute URLs, no void-element or depth tricks, no
page furniture (navigation, share buttons, forms, comments, scripts), and the content element.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
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

from ..characters import C0_AND_SPACE
from ..figures import EMBEDS, is_embed
from .page_facts import PageFacts

# Deeper elements are unwrapped (their text stays): no later stage meets a 10,000-deep tree.
MAX_DEPTH = 64


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
_CONTENT_SELECTORS = (
    ".entry-content",
    "article",
    "[itemprop~=articleBody]",
    ".post-content, .article-content, .article-body",
    "main, [role=main]",
)


def parse_html(markup: str, parser: str) -> BeautifulSoup:
    """BeautifulSoup without its advice: an XHTML prolog or a page that looks like a URL is fine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, parser)


# --- URLs --------------------------------------------------------------------------------------


def absolute_url(url: str, base: str | None) -> str | None:
    """`url` made absolute against `base`; None unless it ends up http(s) or mailto."""
    url = re.sub(r"[\t\n\r]", "", url).strip(C0_AND_SPACE)  # as browsers read an href
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


def canonical_url(soup: BeautifulSoup, base_url: str | None, facts: Iterable[PageFacts]) -> str | None:
    """The page's own address: canonical link, else og:url, else JSON-LD url.

    A page's <base href> is never trusted: a hostile page could point every link elsewhere.
    """
    base = absolute_url(base_url, None) if base_url else None
    canonical = soup.find("link", rel=lambda r: r is not None and "canonical" in r)
    candidates = [canonical.get("href") if isinstance(canonical, Tag) else None, *(f.url for f in facts)]
    for c in candidates:
        url = absolute_url(c, base) if isinstance(c, str) else None
        if url and not url.startswith("mailto:"):
            return url
    return None


def largest_candidate(srcset: str) -> str:
    """The URL of the widest picture a `srcset` offers ("a.jpg 800w, b.jpg 1600w" → b.jpg;
    "x" descriptors count the same way); "" when it names none."""
    best, best_size = "", -1.0
    # candidates are separated by commas; a URL may hold one, but not followed by a space
    for candidate in re.split(r",\s+", srcset) if re.search(r",\s", srcset) else srcset.split(","):
        url, _, descriptor = candidate.strip().partition(" ")
        number = descriptor.strip()[:-1] if descriptor.strip()[-1:] in ("w", "x") else "1"
        try:
            size = float(number)
        except ValueError:
            continue
        if url and size > best_size:
            best, best_size = url, size
    return best


def resolve_urls(tag: Tag, base: str | None) -> None:
    """Absolute href/src (lazy-loaded images get their real source), no srcset."""
    for el in [tag, *tag.find_all(True)]:
        if el.name == "img":
            lazy = el.get("data-lazy-src") or el.get("data-src") or el.get("data-orig-file")
            src = str(el.get("src") or "")
            if isinstance(lazy, str) and (not src.strip() or src.strip().lower().startswith("data:")):
                el["src"] = src = lazy
            srcset = el.get("srcset") or el.get("data-srcset")
            if isinstance(srcset, str) and (not src.strip() or src.strip().lower().startswith("data:")):
                el["src"] = largest_candidate(srcset)  # only a srcset: its widest picture
        for attr in ("srcset", "data-srcset", "sizes"):
            if attr in el.attrs:
                del el[attr]
        for attr in ("href", "src", "cite"):
            value = el.get(attr)
            if value is None:
                continue
            url = absolute_url(str(value), base)
            if url:
                el[attr] = url
            else:
                del el[attr]
        if el.name == "a" and "href" not in el.attrs and el is not tag:
            el.unwrap()  # a link that went nowhere (javascript:, no base) is just its text


# Void in HTML5, but libxml2's HTML 4 parser lets them swallow what follows ("a<wbr>b").
_VOID_AS_CONTAINER = ("embed", "source", "track", "wbr", "keygen")


# --- cleaning the tree -------------------------------------------------------------------------


def repair_void_elements(soup: BeautifulSoup) -> None:
    """Move what lxml put inside a void element back after it."""
    for el in reversed(soup.find_all(_VOID_AS_CONTAINER)):
        if el.contents:
            el.insert_after(*[c.extract() for c in list(el.contents)])


def flatten_deep(soup: BeautifulSoup, max_depth: int = MAX_DEPTH) -> None:
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


#: What an embedded video player or frame becomes before embeds are dropped: read_body links to it.
EMBED_PLACEHOLDER = "newsletter-embed"


def _mark_embeds(content: Tag) -> None:
    """Each video player (<iframe>, <video>, <embed>, <object>) and each content frame (a map, a
    chart) as a placeholder with its address and element; ads, counters and buttons just go."""
    for el in content.find_all(EMBEDS):
        if el.decomposed or el.find_parent(EMBED_PLACEHOLDER):
            continue
        source = el.find("source", src=True) if el.name == "video" else None
        src = el.get("data" if el.name == "object" else "src") or (source.get("src") if source else None)
        if isinstance(src, str) and src.strip() and is_embed(el.name, src.strip()):
            attrs = {"data-src": src.strip(), "data-element": el.name}
            el.replace_with(Tag(name=EMBED_PLACEHOLDER, attrs=attrs))


def drop_junk(content: Tag) -> None:
    """Remove furniture inside the content; a junk-looking wrapper around most text stays.

    Video players and content frames go too, but each leaves a placeholder (EMBED_PLACEHOLDER)
    for a link to it."""
    _mark_embeds(content)
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


def content_element(soup: BeautifulSoup) -> Tag:
    """The element holding the article text: the first selector that matches, its longest match."""
    for selector in _CONTENT_SELECTORS:
        found = soup.select(selector)
        if found:
            return max(found, key=lambda el: len(el.get_text()))
    body = soup.find("body")
    return body if isinstance(body, Tag) else soup
