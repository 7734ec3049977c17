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

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from bs4 import BeautifulSoup, Tag

from ..characters import UNSAFE
from ..errors import NewsletterError
from ..model import Article, Image, Language, Person, Section, Translation
from .draft import Draft
from .page_body import read_body, tag_lines
from .page_cleaning import (
    MAX_DEPTH,
    absolute_url,
    canonical_url,
    content_element,
    drop_junk,
    flatten_deep,
    parse_html,
    repair_void_elements,
)
from .page_facts import (
    PageFacts,
    is_site_name,
    json_ld_facts,
    language_code,
    meta_facts,
    meta_values,
    microformat_facts,
    strip_site_suffix,
)
from .profiles import Profile, detect_profile


def _first(values: Iterable[Any]) -> Any:
    """The first truthy value, or None."""
    return next((v for v in values if v), None)


def hreflang_alternates(soup: BeautifulSoup, base: str | None, language: str) -> tuple[Translation, ...]:
    """The page's `<link rel="alternate" hreflang>`s: the same article in other languages (not
    its own language, not x-default), as absolute http(s) URLs, sorted by language."""
    found: dict[str, Translation] = {}
    own = Language.parse(language)
    for link in soup.find_all("link", hreflang=True, href=True):
        rel: Any = link.get("rel") or []
        if "alternate" not in (rel if isinstance(rel, list) else str(rel).split()):
            continue
        tag = Language.parse(str(link["hreflang"]))
        url = absolute_url(str(link["href"]), base)
        if tag is None or url is None or (own is not None and own.matches(tag.tag)):
            continue
        if url.startswith(("https://", "http://")) and " " not in url:
            found.setdefault(tag.tag, Translation(tag.tag, url))
    return tuple(found[k] for k in sorted(found))


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
    soup = parse_html(UNSAFE.sub("", html), "lxml")  # invalid in HTML; lxml refuses some outright
    repair_void_elements(soup)
    flatten_deep(soup, max_depth)
    meta = meta_values(soup)
    layers = [json_ld_facts(soup), meta_facts(meta), microformat_facts(soup)]
    site_names = [n for f in layers for n in f.site_names]

    title = _first(f.title for f in layers[:1])
    if not title:
        og_title = layers[1].title or None
        title = strip_site_suffix(og_title, site_names) if og_title else None
    if not title and layers[2].title:
        title = strip_site_suffix(layers[2].title, site_names)
    if not title:
        raise NewsletterError(
            "has no article title (no JSON-LD headline, og:title, <h1> or <title>); is it an article page?",
            path=path,
        )

    canonical = canonical_url(soup, base_url, layers)
    base = (absolute_url(base_url, None) if base_url else None) or canonical
    page_lang = _first(
        language_code(v)
        for v in (
            str(soup.html.get("lang") or "") if isinstance(soup.html, Tag) else None,
            layers[1].language,
            layers[0].language,
        )
    )
    content = content_element(soup)
    drop_junk(content)
    text = "\n".join(tag_lines(content))
    lang = language.strip() if language and language.strip() else page_lang
    try:
        chosen, rules = detect_profile(text, profiles, profile=profile, language=lang)
    except NewsletterError as e:
        if e.path:
            raise
        raise NewsletterError(e.message, path=path) from None

    body = read_body(content, soup, rules, title, base)
    sections = tuple(s for s in body.finish() if s.blocks)
    if not any(b.text for s in sections for b in s.blocks):
        raise NewsletterError(
            "has no article text (no paragraphs in .entry-content, <article>, <main> or <body>)",
            path=path,
        )

    sections, lead = lead_image(sections, layers, base)
    structured = _first(
        [p for p in f.authors if not is_site_name(p.name, site_names)] for f in layers
    ) or []  # fmt: skip
    urls = {p.name.casefold(): absolute_url(p.url, base) if p.url else None for p in structured}
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
        image=lead,
        translations=hreflang_alternates(soup, base, lang or rules.language),
    )
    return Draft(
        article=article,
        language=lang or rules.language,
        date=_first(f.date for f in layers),
        profile=chosen.name,
    )


def lead_image(
    sections: tuple[Section, ...], layers: list[PageFacts], base: str | None
) -> tuple[tuple[Section, ...], Image | None]:
    """The article's lead image, and the sections without it.

    The page's own image (JSON-LD, og:image) with its alt and size; when the body shows the same
    picture in a figure, or the page names none and the body has a figure with a caption, that
    figure is the lead: its caption, credit and alt come along and it leaves the body."""
    url = _first(absolute_url(f.image, base) for f in layers if f.image)
    figures = [b for s in sections for b in s.blocks if b.image is not None]
    figure = next(
        (
            b
            for b in figures
            if b.image and (b.image.url == url if url else b.image.caption or b.image.credit)
        ),
        None,
    )
    if figure is None or figure.image is None:
        if url is None:
            return sections, None
        width, height = _first(f.image_width for f in layers), _first(f.image_height for f in layers)
        return sections, Image(url, _first(f.image_alt for f in layers) or "", width=width, height=height)
    shown = figure.image
    image = replace(
        shown,
        alt=shown.alt or _first(f.image_alt for f in layers) or "",
        width=shown.width or _first(f.image_width for f in layers),
        height=shown.height or _first(f.image_height for f in layers),
    )
    rest = (replace(s, blocks=tuple(b for b in s.blocks if b is not figure)) for s in sections)
    return tuple(s for s in rest if s.blocks or s.heading), image


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for v in values:
        seen.setdefault(v.casefold(), v)
    return tuple(seen.values())
