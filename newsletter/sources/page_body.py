"""The body of an article page -> sections of blocks, with the profile's phrases (donation
box, bylines, related links) taken out of the text where they stand.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from ..figures import CREDIT_CLASS, embed_block, image_block, image_from_html
from ..html_tree import hrefs
from ..inline_text import clean_inline_text
from ..model import Block, RelatedLink, Section
from ..sanitize import clean_html
from .page_cleaning import EMBED_PLACEHOLDER, absolute_url, parse_html, resolve_urls
from .page_facts import inline_text, text_nodes
from .profiles import (
    LanguageRules,
    byline_names,
    byline_role,
    phrase_pattern,
    related_title,
    split_names,
    translator_names,
)

MAX_LINE_CHARS = 300  # a byline or a related link is one short line
_CONTAINERS = {
    "div", "section", "article", "main", "header", "footer", "center", "details", "summary",
    "address", "body", "html", "fieldset", "hgroup", "search",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {
    *_CONTAINERS, *_HEADINGS, "p", "ul", "ol", "dl", "blockquote", "figure", "pre", "table", "hr",
}  # fmt: skip
_LINE_BREAKERS = {*_BLOCKS, "li", "dt", "dd", "tr", "figcaption", "caption", "br"}


# --- text --------------------------------------------------------------------------------------


def tag_lines(root: Tag) -> list[str]:
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
    return tag_lines(parse_html(html, "html.parser"))


@functools.lru_cache(maxsize=1024)
# --- the profile's phrases inside HTML ----------------------------------------------------------


def _phrase_regex(phrase: str) -> re.Pattern[str]:
    # a phrase starts at a block's start, after whitespace, or after sentence punctuation
    return re.compile(r"(?<![^\s.!?\u2026\"'\u201c\u201d\u201e\u00ab\u00bb])" + phrase_pattern(phrase), re.I)


def _cut_span(tag: Tag, start: int, end: int) -> None:
    """Remove characters start..end of the tag's concatenated text, across text nodes."""
    pos = 0
    for node in [n for n in text_nodes(tag) if isinstance(n, NavigableString)]:
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
    return "".join(str(n) for n in text_nodes(tag) if isinstance(n, NavigableString))


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
            if image := image_from_html(html):
                self.blocks.append(image_block(image))
            elif "<img" in html:
                alt = " ".join(str(img.get("alt") or "") for img in tag.find_all("img")).strip()
                self.blocks.append(Block("image", f"<p>{html}</p>", clean_inline_text(alt)))
            return
        if all(len(line) <= MAX_LINE_CHARS for line in lines) and self.credits(lines):
            return
        if self.in_footer:
            return
        if len(lines) == 1 and len(lines[0]) <= MAX_LINE_CHARS:
            title = related_title(lines[0], self.rules)
            if title:
                href = next(iter(hrefs(clean_html(tag.decode_contents()))), None)
                self.related.append(RelatedLink(title, href))
                self.blocks.append(Block("related", related_index=len(self.related) - 1))
                return
        html = clean_html(tag.decode_contents()).strip()
        text = "\n".join(_lines(html))
        if not text:
            return
        self.blocks.append(Block("paragraph", html, text))
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
        if kind == "image" and (image := image_from_html(html)):
            self.blocks.append(image_block(image))
        elif text or "<img" in html:
            self.blocks.append(Block(kind, html, text))  # type: ignore[arg-type]


def read_body(content: Tag, soup: BeautifulSoup, rules: LanguageRules, title: str, base: str | None) -> _Body:
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
        embeds = [el] if el.name == EMBED_PLACEHOLDER else el.find_all(EMBED_PLACEHOLDER)
        sources = [
            (str(v.get("data-element")), absolute_url(str(v.get("data-src") or ""), base)) for v in embeds
        ]
        for v in embeds:
            v.extract()
        if el.get_text().strip() or el.find("img"):
            resolve_urls(el, base)
            _add_block(body, el)
        if not body.in_footer:
            body.blocks.extend(embed_block(element, src) for element, src in dict.fromkeys(sources) if src)
        # a footer phrase before any text is a promo line, not the end of the article
        body.in_footer = body.in_footer or (footer_here and bool(body.blocks or body.sections))
    return body


def _add_block(body: _Body, el: Tag) -> None:
    name = el.name
    if name in _HEADINGS:
        text = inline_text(el)
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
        for credit in el.select("figcaption [class]"):
            if any(CREDIT_CLASS.search(c) for c in credit.get_attribute_list("class")):
                credit.name = "small"  # the sanitizer keeps <small>, not the class that said it
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
