"""`newsletter import SOURCE`: an article from outside -> a new `issues/<date>-<slug>.md`.

The importer picks the reader by what the source looks like (HTML page, Markdown, text
dump), applies the site profile, resolves related links, mints the issue's id once, and
writes the file atomically after checking that it reads back.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from ..config import Config
from ..errors import NewsletterError
from ..figures import image_block, secure_url
from ..html_tree import hrefs
from ..inline_text import clean_inline_text
from ..model import Article, Block, Image, Issue, Language, Person, RelatedLink, Section
from .decode import decode_source
from .draft import Draft
from .front_matter import (
    FRONT_MATTER,
    image_field,
    is_slug,
    parse_datetime,
    people_field,
    related_field,
    slugify,
    split_front_matter,
    strings_field,
)
from .markdown import parse_body, read_issue
from .markdown_writer import html_paragraph, issue_to_markdown
from .profiles import (
    LanguageRules,
    Profile,
    byline_names,
    detect_profile,
    load_profiles,
    related_title,
    strip_boilerplate,
    translator_names,
)
from .related import load_site_index, read_location, resolve_related
from .text import read_text, summarize

SourceFormat = Literal["html", "markdown", "text"]
HtmlReader = Callable[..., Draft]

_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S
)
_HTML_BODY = re.compile(r"<(?:body|article)[\s>]", re.I)
_MD_HEADING = re.compile(r"^#{1,2} \S", re.M)


def detect_format(text: str) -> SourceFormat:
    """HTML when it starts like a page or has <body>/<article>; Markdown when it starts with
    front matter or has '#'/'##' headings; else a text dump."""
    if _HTML_START.match(text) or _HTML_BODY.search(text):
        return "html"
    if FRONT_MATTER.match(text) or _MD_HEADING.search(text):
        return "markdown"
    return "text"


def is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme.lower() in ("http", "https")


# --- Markdown --------------------------------------------------------------------------------


def _apply_rules(
    sections: tuple[Section, ...], rules: LanguageRules, *, declared: int
) -> tuple[tuple[Section, ...], dict[str, Any]]:
    """Profile rules over Markdown paragraphs: related lines, credits, boilerplate.

    Related links found here are numbered after the `declared` ones from the front matter.
    """
    found: dict[str, Any] = {"related": [], "authors": [], "translators": []}
    out: list[Section] = []
    for section in sections:
        blocks: list[Block] = []
        for block in section.blocks:
            if block.kind != "paragraph":
                blocks.append(block)
                continue
            if (title := related_title(block.text, rules)) is not None and not hrefs(block.html):
                blocks.append(Block("related", related_index=declared + len(found["related"])))
                found["related"].append(RelatedLink(clean_inline_text(title)))
            elif names := byline_names(block.text, rules):
                found["authors"].extend(names)
            elif names := translator_names(block.text, rules):
                found["translators"].extend(names)
            else:
                kept = strip_boilerplate(block.text, rules)
                if kept == block.text.strip():
                    blocks.append(block)
                else:  # cut: the inline markup of this one paragraph is lost, its words are not
                    blocks.extend(html_paragraph(p.strip()) for p in kept.split("\n\n") if p.strip())
        if blocks or section.heading:
            out.append(Section(section.heading, tuple(blocks)))
    return tuple(out), found


def read_markdown(text: str, *, rules: LanguageRules, profile_name: str, path: str) -> Draft:
    """Markdown, with or without front matter: the title from `title:` or the first '# '."""
    data: dict[str, Any] = {}
    body, first_line = text, 1
    if FRONT_MATTER.match(text):
        data, body, first_line = split_front_matter(text, path)
    title = str(data.get("title") or "").strip()
    if not title:
        m = re.search(r"^# +(.+?)\s*#*\s*$", body, re.M)
        if not m:
            raise NewsletterError(
                "no title; add 'title: …' to the front matter or a '# Title' line", path=path
            )
        title = m.group(1)
        body = body[: m.start()] + body[m.end() :]
    declared = related_field(data.get("related"), path)
    sections = parse_body(body, related_count=len(declared), path=path, first_line=first_line)
    sections, found = _apply_rules(sections, rules, declared=len(declared))
    paragraphs = [b.text for s in sections for b in s.blocks if b.kind == "paragraph" and b.text]
    if not paragraphs:
        raise NewsletterError("has a title but no body paragraphs; give the article's text", path=path)
    date = parse_datetime(data["date"], "'date'", path) if data.get("date") else None
    authors = people_field(data.get("authors"), "authors", path) or tuple(Person(n) for n in found["authors"])
    translators = people_field(data.get("translators"), "translators", path) or tuple(
        Person(n) for n in found["translators"]
    )
    summary = str(data.get("summary") or "").strip() or summarize(paragraphs[0])
    article = Article(
        title=clean_inline_text(title),
        summary=summary,
        sections=sections,
        authors=authors,
        translators=translators,
        tags=strings_field(data.get("tags"), "tags", path),
        related=declared + tuple(found["related"]),
        source_url=data.get("source_url") or None,
        image=image_field(data.get("image"), data.get("image_alt"), path),
    )
    language = str(data.get("language") or "").strip() or None
    return Draft(article=article, language=language, date=date, profile=profile_name)


# --- the import ------------------------------------------------------------------------------


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(microsecond=0)


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.astimezone()  # a naive time is local time


def mint_id(base_url: str, date: dt.datetime, slug: str) -> str:
    """The issue's permanent id: tag:<host>,<YYYY-MM-DD>:<slug> (RFC 4151)."""
    host = urllib.parse.urlsplit(base_url).hostname or "localhost"
    return f"tag:{host},{date:%Y-%m-%d}:{slug}"


def read_draft(
    text: str,
    *,
    path: str,
    profiles: Mapping[str, Profile],
    profile: str | None,
    language: str | None,
    base_url: str | None,
    html_reader: HtmlReader | None = None,
) -> Draft:
    """Decoded source text -> a Draft, by the reader for its format."""
    fmt = detect_format(text)
    if fmt == "html":
        if html_reader is None:
            from .html import read_html  # loads BeautifulSoup: only for a page

            html_reader = read_html
        return html_reader(
            text, profiles=profiles, profile=profile, language=language, base_url=base_url, path=path
        )
    p, rules = detect_profile(text, profiles, profile=profile, language=language)
    if fmt == "markdown":
        draft = read_markdown(text, rules=rules, profile_name=p.name, path=path)
        return replace(draft, language=draft.language or rules.language)
    return read_text(text, rules=rules, profile_name=p.name, path=path)


def import_article(
    source: str,
    *,
    config: Config,
    date: dt.datetime | None = None,
    slug: str | None = None,
    profile: str | None = None,
    language: str | None = None,
    out_dir: Path | None = None,
    html_reader: HtmlReader | None = None,
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Import SOURCE (a file path or an http(s) URL) as a new issue file; return its path.

    The id is minted here once and stored in the file; the file is never overwritten. `warn`
    hears of what was left out on the way (an image without an https address).
    """
    limits = config.limits
    if language:  # before anything is fetched: a wrong --lang fails at once
        language = config.edition_language(language)
    data = read_location(
        source, root=Path.cwd(), timeout=limits.fetch_timeout, max_bytes=limits.max_source_bytes
    )
    text = decode_source(data, source, max_bytes=limits.max_source_bytes, repair=True)
    if not text.strip():
        raise NewsletterError("is empty; give an article as HTML, Markdown or text", path=source)
    profiles = load_profiles(config.importing.profile_dirs)
    if html_reader is None and detect_format(text) == "html":
        from .html import read_html

        html_reader = functools.partial(read_html, max_depth=limits.max_html_depth)
    draft = read_draft(
        text,
        path=source,
        profiles=profiles,
        profile=profile or config.importing.default_profile,
        language=language,
        base_url=source if is_url(source) else None,
        html_reader=html_reader,
    )
    article = draft.article
    lang = config.edition_language(language or draft.language or config.site.language, path=source)
    when = _aware(date) if date else _aware(draft.date) if draft.date else _local_now()

    if slug is not None:
        if not is_slug(slug):
            raise NewsletterError(f"--slug {slug!r} may hold only a-z, 0-9 and '-' (no folders)", path=source)
    else:
        slug = slugify(article.title, language=lang)

    if any(r.url is None for r in article.related):
        index = None
        if config.importing.site_index:
            index = load_site_index(
                config.importing.site_index,
                root=config.root,
                timeout=limits.fetch_timeout,
                max_bytes=limits.max_index_bytes,
            )
        related = resolve_related(
            article.related, language=lang, index=index, search_url=config.site.edition(lang).search_url
        )
        article = replace(article, related=related)
    if is_url(source) and not article.source_url:
        article = replace(article, source_url=source)
    article, dropped = secure_images(article, article.source_url)
    for url in dropped:
        if warn is not None:
            warn(f"{source}: image {url!r} has no https address; it was left out")
    if article.translations:  # fr-FR on the page is the newsletter's fr edition
        editions = config.site.languages
        translations = [
            replace(t, language=Language(t.language).among(editions) or t.language)
            for t in article.translations
        ]
        by_language = {t.language: t for t in reversed(translations)}  # the first of each wins
        article = replace(article, translations=tuple(by_language[k] for k in sorted(by_language)))

    issue = Issue(
        id=mint_id(config.site.base_url, when, slug), slug=slug, date=when, language=lang, article=article
    )
    folder = out_dir if out_dir is not None else config.issues_dir
    return write_issue(issue, folder, max_bytes=limits.max_source_bytes)


def secure_images(article: Article, page: str | None) -> tuple[Article, list[str]]:
    """The article with https images only (http on the https page's own host upgraded), and
    the addresses of those left out: an email or page must not load anything over http."""
    dropped: list[str] = []

    def secure(image: Image) -> Image | None:
        url = secure_url(image.url, page)
        if url is None:
            dropped.append(image.url)
            return None
        return replace(image, url=url)

    lead = secure(article.image) if article.image else None
    sections = []
    for section in article.sections:
        blocks = []
        for block in section.blocks:
            if block.image is not None:
                image = secure(block.image)
                if image is None:
                    continue
                block = image_block(image) if image != block.image else block
            blocks.append(block)
        if blocks or section.heading:
            sections.append(replace(section, blocks=tuple(blocks)))
    return replace(article, image=lead, sections=tuple(sections)), dropped


def write_issue(issue: Issue, folder: Path, *, max_bytes: int = 5_000_000) -> Path:
    """Write a new issue file atomically; refuse to overwrite one; check that it reads back."""
    name = f"{issue.date:%Y-%m-%d}-{issue.slug}.md"
    target = folder / name
    if target.exists():
        raise NewsletterError(
            "already exists; pass --slug to import under another name, or delete the file", path=str(target)
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=folder))
    except OSError as e:
        raise NewsletterError(f"cannot write here ({e.strerror})", path=str(folder)) from None
    try:
        draft_path = staging / name  # same name, so read_issue sees the same slug
        draft_path.write_text(issue_to_markdown(issue), encoding="utf-8")
        back = read_issue(draft_path, max_bytes=max_bytes, issues_dir=folder)
        if (back.id, back.slug, back.article.title, len(back.article.related), len(back.articles)) != (
            issue.id,
            issue.slug,
            issue.article.title,
            len(issue.article.related),
            len(issue.articles),
        ):
            raise NewsletterError(
                "the written issue does not read back the same; please report this", path=str(target)
            )
        if target.exists():
            raise NewsletterError(
                "already exists; pass --slug to import under another name, or delete the file",
                path=str(target),
            )
        os.replace(draft_path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
