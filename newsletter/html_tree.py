"""The model's HTML as a small tree: the one reader of the sanitizer's output.

The blocks' HTML comes out of the sanitizer (newsletter/sanitize.py): well-formed, attributes
double-quoted, text escaped. Such HTML is read here with one regular expression, into the tree
BeautifulSoup's "html.parser" would build from it; anything else (a comment, an unquoted
attribute, a stray "<") is read by BeautifulSoup itself, so odd input gives the same text, only
slower. The Markdown reader takes a block's text from this tree and the text part its words
and links, so both read a block's HTML the same way.
"""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Iterator
from typing import Any

#: The links a reader can follow from a text: the text part numbers these, and only these.
LINKABLE = ("https://", "http://", "mailto:")


class Element:
    """An HTML element: tag name, attributes and children (elements and strings)."""

    __slots__ = ("attrs", "children", "name")

    def __init__(self, name: str, attrs: dict[str, str] | None = None) -> None:
        self.name = name
        self.attrs = attrs or {}
        self.children: list[Element | str] = []

    def get(self, key: str) -> str | None:
        return self.attrs.get(key)

    def get_text(self) -> str:
        """The text of every descendant string, as BeautifulSoup's `get_text()`."""
        return "".join(
            c if isinstance(c, str) else c.get_text() for c in self.children if not isinstance(c, _Hidden)
        )

    def descendants(self) -> Iterator[Element | str]:
        """Every element and string below this one in document order, comments left out."""
        stack: list[Element | str] = self.children[::-1]
        while stack:  # no recursion: a deep tree is no error
            node = stack.pop()
            if isinstance(node, Element):
                yield node
                stack.extend(node.children[::-1])
            elif not isinstance(node, _Hidden):
                yield node

    def find_all(self, names: tuple[str, ...]) -> list[Element]:
        """Descendant elements named one of `names`, in document order."""
        out: list[Element] = []
        for c in self.children:
            if isinstance(c, Element):
                if c.name in names:
                    out.append(c)
                out.extend(c.find_all(names))
        return out


class _Hidden(str):
    """A comment, doctype or ruby annotation: text to `inline_text`, not to `get_text`."""

    __slots__ = ()


_TOKEN = re.compile(r"<(/?)([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9_:.-]*=\"[^\"<]*\")*)\s*>|<")
_ATTRIBUTE = re.compile(r"([a-z][a-z0-9_:.-]*)=\"([^\"]*)\"")
#: Void elements: an end tag never follows (html.parser, BeautifulSoup and html5ever close them).
VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "menuitem",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "basefont",
        "bgsound",
        "command",
        "frame",
        "image",
        "isindex",
        "nextid",
        "spacer",
    ]
)
# Tags whose strings BeautifulSoup treats specially: left to BeautifulSoup itself.
_SPECIAL = frozenset({"rt", "rp", "style", "script", "template", "textarea", "title"})
_ASCII_SPACES = " \n\t\f\r"


def _text(raw: str, in_pre: bool) -> str:
    text = html_module.unescape(raw) if "&" in raw else raw
    if not in_pre and not text.strip(_ASCII_SPACES):
        return "\n" if "\n" in text else " "  # as BeautifulSoup collapses whitespace-only strings
    return text


def _fast_tree(markup: str) -> Element | None:
    """The tree of well-formed, sanitized HTML; None when it is anything else."""
    root = Element("[document]")
    stack = [root]
    pre = 0
    pos = 0
    for m in _TOKEN.finditer(markup):
        if m.start() > pos:
            stack[-1].children.append(_text(markup[pos : m.start()], pre > 0))
        pos = m.end()
        closing, name, attrs = m.group(1), m.group(2), m.group(3)
        if name is None or name in _SPECIAL:
            return None  # "<" that opens no plain tag: a comment, a doctype, a stray "<"
        if closing:
            if len(stack) == 1 or stack[-1].name != name:
                return None
            if name == "pre":
                pre -= 1
            stack.pop()
            continue
        element = Element(name, dict(_ATTRIBUTE.findall(attrs)) if attrs else None)
        if attrs and "&" in attrs:
            element.attrs = {k: html_module.unescape(v) for k, v in element.attrs.items()}
        stack[-1].children.append(element)
        if name not in VOID_ELEMENTS:
            stack.append(element)
            if name == "pre":
                pre += 1
    if len(stack) != 1:
        return None
    if pos < len(markup):
        root.children.append(_text(markup[pos:], False))
    return root


def _from_soup(node: Any) -> Element:
    from bs4 import CData, NavigableString, Tag

    element = Element(node.name, {k: v if isinstance(v, str) else " ".join(v) for k, v in node.attrs.items()})
    for child in node.children:
        if isinstance(child, Tag):
            element.children.append(_from_soup(child))
        elif type(child) in (NavigableString, CData):
            element.children.append(str(child))
        elif isinstance(child, NavigableString):
            element.children.append(_Hidden(child))
    return element


def html_tree(markup: str) -> Element:
    """The sanitized HTML `markup` as a tree, the same BeautifulSoup ("html.parser") reads."""
    tree = _fast_tree(markup)
    if tree is not None:
        return tree
    from bs4 import BeautifulSoup

    return _from_soup(BeautifulSoup(markup, "html.parser"))


def hrefs(markup: str) -> list[str]:
    """The targets of the links a reader can follow (see LINKABLE) in the HTML `markup`, in order."""
    targets = (str(a.get("href") or "") for a in html_tree(markup).find_all(("a",)))
    return [href for href in targets if href.startswith(LINKABLE)]
