"""Reading built HTML the way a mail client shows it: what is hidden, what the reader sees first."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from ..characters import IGNORABLE
from ..model import Language

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all", re.I)
BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p", "pre",
        "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


def parse(html: str | bytes) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def normalized(text: str) -> str:
    """Text as read: invisible padding dropped, runs of white space as one space."""
    return " ".join(IGNORABLE.sub("", text).split())


def is_hidden(tag: Tag) -> bool:
    """Hidden by its own or an ancestor's inline style, `hidden` or aria-hidden."""
    node: Tag | None = tag
    while node is not None and node.name not in (None, "[document]"):
        if node.has_attr("hidden") or node.get("aria-hidden") == "true":
            return True
        if _HIDDEN_STYLE.search(str(node.get("style", ""))):
            return True
        node = node.parent if isinstance(node.parent, Tag) else None
    return False


def visible_blocks(soup: BeautifulSoup) -> list[tuple[Tag, str]]:
    """Innermost block elements with visible text, in reading order, with their text."""
    body = soup.body or soup
    out: list[tuple[Tag, str]] = []
    for tag in body.find_all(BLOCKS):
        if tag.find(BLOCKS) is not None or is_hidden(tag):
            continue
        text = normalized(tag.get_text(" "))
        if text:
            out.append((tag, text))
    return out


def language_of(tag: Tag) -> str:
    """The primary language subtag in effect for `tag` (nearest `lang`), lower-case."""
    node: Tag | None = tag
    while node is not None:
        lang = node.get("lang") if hasattr(node, "get") else None
        if isinstance(lang, str) and lang.strip():
            return Language(lang.strip()).primary
        node = node.parent if isinstance(node.parent, Tag) else None
    return ""
