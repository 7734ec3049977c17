"""What an article page says about itself: JSON-LD, `og:`/`article:` meta, microformats.

Each gives a `PageFacts`; `read_html` (sources/html.py) takes every fact from the most
explicit source that has it.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from ..inline_text import clean_inline_text
from ..model import Language, Person
from ..sanitize import pixels

MAX_JSON_LD_CHARS = 2_000_000
_TITLE_SEPARATORS = (" – ", " — ", " - ", " | ", " · ", " :: ", " » ", " : ")
_ARTICLE_TYPES = {"article", "blogposting", "report", "liveblogposting", "socialmediaposting"}


@dataclass
class PageFacts:
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
    image_width: int | None = None
    image_height: int | None = None
    site_names: list[str] = field(default_factory=list)


def _text(value: Any) -> str | None:
    """A JSON-LD or attribute value as one clean line, or None."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    return clean_inline_text(htmllib.unescape(value)) or None


def _pixels(value: Any) -> int | None:
    """An image size: 1200, "1200" or schema.org's {"value": 1200}; None for anything else."""
    return pixels(value.get("value") if isinstance(value, dict) else value)


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


def json_ld_facts(soup: BeautifulSoup) -> PageFacts:
    nodes = _json_ld_nodes(soup)
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("@id"), str) and len(value) == 1:
            return by_id.get(value["@id"], value)
        return value

    facts = PageFacts()
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
        facts.image_width, facts.image_height = _pixels(image.get("width")), _pixels(image.get("height"))
    else:
        facts.image = _text(image)
    return facts


def meta_values(soup: BeautifulSoup) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for m in soup.find_all("meta"):
        key = m.get("property") or m.get("name") or m.get("itemprop")
        content = m.get("content")
        if isinstance(key, str) and isinstance(content, str):
            values.setdefault(key.strip().lower(), []).append(content)
    return values


def meta_facts(meta: Mapping[str, list[str]]) -> PageFacts:
    def one(*keys: str) -> str | None:
        return next((t for k in keys for t in map(_text, meta.get(k, [])) if t), None)

    facts = PageFacts(
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
        image_width=_pixels(one("og:image:width")),
        image_height=_pixels(one("og:image:height")),
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


def microformat_facts(soup: BeautifulSoup) -> PageFacts:
    facts = PageFacts()
    h1 = soup.select_one("h1.entry-title, h1.p-name, h1.post-title") or soup.select_one(
        "article h1"
    ) or soup.find("h1")  # fmt: skip
    if isinstance(h1, Tag):
        facts.title = inline_text(h1) or None
    for el in soup.select(".author.vcard .fn, .h-card.p-author .p-name, a[rel~=author]"):
        name = inline_text(el)
        href = el.get("href") if el.name == "a" else None
        if name and not any(p.name == name for p in facts.authors):
            facts.authors.append(Person(name, href if isinstance(href, str) else None))
    time = soup.select_one(
        "time.published[datetime], time.entry-date[datetime], time.dt-published[datetime]"
    ) or soup.select_one("time[datetime]")  # fmt: skip
    if isinstance(time, Tag):
        facts.date = _page_date(time.get("datetime"))
    facts.tags = [t for t in (inline_text(a) for a in soup.select("a[rel~=tag]")) if t]
    title = soup.find("title")
    if isinstance(title, Tag) and not facts.title:
        facts.title = inline_text(title) or None
    return facts


def strip_site_suffix(title: str, site_names: Iterable[str]) -> str:
    """ "Headline – Novastan" -> "Headline": og:title and <title> often carry the site name."""
    for name in site_names:
        for sep in _TITLE_SEPARATORS:
            for pattern in (re.escape(sep + name) + "$", "^" + re.escape(name + sep)):
                stripped = re.sub(pattern, "", title, flags=re.I).strip()
                if stripped and stripped != title:
                    return stripped
    return title


def is_site_name(name: str, site_names: Iterable[str]) -> bool:
    """True for "Novastan" when the site is "Novastan" or "Novastan.org": never an author."""
    n = name.casefold()
    for site in site_names:
        s = site.casefold()
        short, long = sorted((n, s), key=len)
        if long.startswith(short) and (len(long) == len(short) or not long[len(short)].isalnum()):
            return True
    return False


def language_code(value: str | None) -> str | None:
    lang = Language.parse(value) if value else None
    return lang.tag if lang else None


def inline_text(tag: Tag) -> str:
    """One line of text: inline markup joins words as written, <br> becomes a space."""
    return clean_inline_text("".join(" " if isinstance(n, Tag) else str(n) for n in text_nodes(tag)))


def text_nodes(tag: Tag) -> Iterator[NavigableString | Tag]:
    """Text in order, with <br> as a Tag marker (for callers that break lines there)."""
    for node in tag.descendants:
        if (isinstance(node, Tag) and node.name == "br") or type(node) is NavigableString:
            yield node
