"""The issue email without mjml-python and css-inline per issue: the same bytes, made faster.

Every issue is laid out by the same templates, so its MJML differs from the next issue's
mostly inside its `<mj-text>` elements (header, article, related links, footer) and in its
title and preview line. `fill` compiles and inlines everything else, the *frame*, once per
process, and writes each issue's text into it as those two libraries would have written it:

- mjml-python copies an `<mj-text>`'s markup, but drops a text of only white space that starts
  with a line break, and writes a void element as `<br />`;
- css-inline parses the page (html5ever): it decodes character references and escapes text and
  attributes again, writes `<br>`, and gives each element the style its rules make.

Which rules match an element depends, under a stylesheet of type, class and id selectors,
`:first-child` and `:root`, joined by descendant and child combinators (the frame's is checked),
on the element's tag, id, class, style and attribute names and whether it is the first child,
and on those of its ancestors. So css-inline itself is asked once for each such shape, with a
small page holding one element of it where it stands, and its answer is kept (`_Frame.styles`).

Anything outside that (a comment, a table, a `<pre>`, a character reference the templates do
not write, another selector, markup html5ever would repair, a template mjml-python refuses)
makes `fill` return None, and the email is made the slow way: either way the bytes are those of
`inline_css(compile_mjml(mjml))`.
"""

from __future__ import annotations

import pickle
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ..errors import NewsletterError
from ..html_tree import VOID_ELEMENTS

#: The placeholders' stem; an MJML document holding it is made the slow way.
_MARK = "nlSlotQ"
_TOKEN = re.compile(_MARK + r"([th])(\d+)" + _MARK)
_SLOT_OPEN = re.compile(r"<mj-(text|title|preview)\b[^>]*>")
#: A title or preview line: text, with the references Jinja2's escaping writes.
_PLAIN = re.compile(r"[^<&]*(?:&(?:amp|lt|gt|quot|#34|#39);[^<&]*)*\Z")

#: Elements that may stand in a paragraph, a heading or a link (html5ever leaves them there).
_PHRASING = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "img", "ins",
    "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
})  # fmt: skip
#: Elements filled here; any other (a table, a list of definitions, a `<pre>`) is made the slow way.
_ALLOWED = _PHRASING | frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "figure", "figcaption",
    "div", "section", "article", "aside", "header", "footer", "hr",
})  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# A piece of an `<mj-text>`'s markup: an element of text alone, with no attribute but a class,
# an id or a style (most paragraphs: one step, not three); an end tag; a start tag with no
# attribute but those (written the same in every issue: remembered); any other start tag.
# Possessive: nothing is read twice.
_FIXED_ATTRIBUTES = r'((?:\s+(?:class|id|style)="[^"]*")*+)'
_TAG = re.compile(
    rf"<([a-z][a-z0-9]*){_FIXED_ATTRIBUTES}>([^<]*+)</\1>"
    r"|</([a-z][a-z0-9]*)>"
    rf"|<([a-z][a-z0-9]*){_FIXED_ATTRIBUTES}\s*/?>"
    r'|<([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9-]*="[^"]*")*+)\s*/?>'
)
#: What css-inline writes otherwise in a text (or what this does not read: a CR, a form feed).
_SPECIAL = re.compile("[&<>\r\x0c\xa0]")
_ATTRIBUTE = re.compile(r'\s+([a-z][a-z0-9-]*)="([^"]*)"')
_REFERENCE = re.compile(r"&(?:(amp|lt|gt|quot|nbsp|#34|#39|#x27);)?")
_DECODED = {
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "quot": '"',
    "nbsp": "\xa0",
    "#34": '"',
    "#39": "'",
    "#x27": "'",
}
_BARE = re.compile(r'[^"&<>]*\Z')  # an id or a class, asked about as it stands

# Shapes: an element's (tag, id, class, first child); with its attribute names and style.
_Ancestor = tuple[str, str, str, bool]
_Shape = tuple[int, tuple[_Ancestor, ...], str, str, str, bool, tuple[str, ...], str | None]


class _Unfit(Exception):
    """This email is not one `fill` can promise the bytes of: it is made the slow way."""


def fill(mjml: str, compile_mjml: Callable[[str], str], inline_css: Callable[[str], str]) -> str | None:
    """`inline_css(compile_mjml(mjml))`, from a frame made once; None when this cannot promise
    the same bytes (then call them). The two functions are the slow way's own."""
    split = _split(mjml)
    if split is None:
        return None
    frame_mjml, texts, htmls = split
    if frame_mjml in _FRAMES:
        frame = _FRAMES[frame_mjml]
    elif len(_FRAMES) >= _MAX_FRAMES:  # templates that put an issue's own text outside <mj-text>
        return None
    elif _FIRST_ALONE and frame_mjml not in _SEEN:  # one email alone is made faster the slow way
        if len(_SEEN) < _MAX_FRAMES:
            _SEEN.add(frame_mjml)
        return None
    else:
        frame = _FRAMES[frame_mjml] = _make_frame(
            frame_mjml, len(texts), len(htmls), compile_mjml, inline_css
        )
    if frame is None:
        return None
    try:
        return frame.fill(texts, htmls, inline_css)
    except _Unfit:
        return None


#: What a frame learns is kept in dicts, and a thread that learns the same thing again stores the
#: same answer; only a context's number is taken in turn.
_NUMBERING = threading.Lock()

#: The frames made in this process, by their MJML (None: one `fill` cannot use). A build's
#: issues share a few: one per edition and shape (with a lead image or not, a digest …). Past
#: that many, the templates make a frame of each issue: making it costs more than it saves.
_MAX_FRAMES = 64
_FRAMES: dict[str, _Frame | None] = {}
#: A frame is made for the second email that needs it: making one (compiling it, asking
#: css-inline about each shape of element) costs a few emails' worth, and an edit build renders
#: one email in its process. `_SEEN`: the frames whose first email was made the slow way.
_FIRST_ALONE = True
_SEEN: set[str] = set()


#: What `learned` reported of each frame: how many shapes it knew then.
_REPORTED: dict[str, int] = {}


def learned() -> dict[str, bytes]:
    """The frames made in this process, or that learned a shape, since this was last asked,
    pickled: for the build to keep, so the processes of the next one take them (`adopt`)."""
    out: dict[str, bytes] = {}
    for key, frame in list(_FRAMES.items()):
        if frame is None or _REPORTED.get(key) == (known := len(frame.styles)):
            continue
        try:
            out[key] = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
        except RuntimeError:  # another thread teaching it a shape meanwhile: reported next time
            continue
        _REPORTED[key] = known
    return out


def adopt(frames: dict[str, bytes]) -> None:
    """Take frames a build made with this very code (`learned`) as this process's own: its first
    email is then filled too, without compiling the frame or asking css-inline (unless the email
    has an element of a shape the frame has not met). One that cannot be read is not taken."""
    for key, data in frames.items():
        if key in _FRAMES or len(_FRAMES) >= _MAX_FRAMES:
            continue
        try:
            frame = pickle.loads(data)
        except Exception:  # torn or foreign: made again when needed
            continue
        if isinstance(frame, _Frame):
            _FRAMES[key] = frame
            _REPORTED[key] = len(frame.styles)


def _split(mjml: str) -> tuple[str, list[str], list[str]] | None:
    """(the MJML with a placeholder for each slot's content, the titles' and preview's texts,
    the `<mj-text>` contents); None when a slot's content is not one `fill` takes."""
    if _MARK in mjml:
        return None
    parts: list[str] = []
    texts: list[str] = []
    htmls: list[str] = []
    pos = 0
    for m in _SLOT_OPEN.finditer(mjml):
        if m.start() < pos or m.group().endswith("/>"):  # inside a slot, or a default (mj-attributes)
            continue
        kind = m.group(1)
        end = mjml.find(f"</mj-{kind}>", m.end())
        if end < 0:
            return None
        content = mjml[m.end() : end]
        parts.append(mjml[pos : m.end()])
        if kind == "text":
            parts.append(f"{_MARK}h{len(htmls)}{_MARK}")
            htmls.append(content)
        else:
            if not _PLAIN.match(content):
                return None
            parts.append(f"{_MARK}t{len(texts)}{_MARK}")
            texts.append(content)
        pos = end
    parts.append(mjml[pos:])
    return "".join(parts), texts, htmls


@dataclass
class _Frame:
    """A frame compiled and inlined: its text between the slots, and what fills each."""

    parts: list[str]  # the inlined frame, cut at each slot
    gaps: list[tuple[str, int, bool]]  # for each cut: the slot's kind ("t", "h"), number, in an attribute
    head: str  # the compiled frame up to its <body ...>: how every probe starts
    chains: dict[int, list[tuple[str, str, bool]]]  # an <mj-text>'s ancestors: (tag, start tag, first child)
    styles: dict[_Shape, tuple[tuple[str, ...], str | None]] = field(default_factory=dict)
    # an element's context: a number for (its slot, its ancestors), which its key is made of
    contexts: dict[tuple[int | None, int | _Ancestor], int] = field(default_factory=dict)
    ancestry: list[tuple[int, tuple[_Ancestor, ...]]] = field(default_factory=list)
    # start tags met before, by context, first child and the tag as the template wrote it
    written: dict[tuple[int, bool, str, str], tuple[str, int]] = field(default_factory=dict)

    def fill(self, texts: list[str], htmls: list[str], inline_css: Callable[[str], str]) -> str:
        if not all(_kept_in_attribute(texts[k]) for kind, k, in_attribute in self.gaps if in_attribute):
            raise _Unfit
        filled = [self._html(k, content, inline_css) for k, content in enumerate(htmls)]
        decoded = [_decode(text) for text in texts]
        out = [self.parts[0]]
        for (kind, k, in_attribute), part in zip(self.gaps, self.parts[1:], strict=True):
            if kind == "h":
                out.append(filled[k])
            else:
                out.append(_escape_attribute(decoded[k]) if in_attribute else _escape_text(decoded[k]))
            out.append(part)
        return "".join(out)

    def _html(self, slot: int, content: str, inline_css: Callable[[str], str]) -> str:
        """An `<mj-text>`'s content as mjml-python and css-inline write it."""
        out: list[str] = []
        append = out.append
        stack: list[tuple[str, int]] = [("", self._context(None, slot))]  # open elements, each's context
        children = [0]  # element children so far: of the content, then of each open element
        phrasing = links = headings = paragraphs = 0  # open elements html5ever would not nest others in
        written = self.written
        pos = 0
        for m in _TAG.finditer(content):
            start = m.start()
            if start > pos:
                append(_text(content[pos:start]))
            pos = m.end()
            alone, alone_given, text, closing, tag, given, other, other_given = m.groups()
            if closing is not None:
                if stack[-1][0] != closing:
                    raise _Unfit
                stack.pop()
                children.pop()
                if closing in _PHRASING:
                    phrasing -= 1
                    links -= closing == "a"
                else:
                    headings -= closing in _HEADINGS
                    paragraphs -= closing == "p"
                append(f"</{closing}>")
                continue
            fixed = other is None  # no attribute but a class, an id or a style
            if alone is not None:
                tag, given = alone, alone_given
            elif not fixed:
                tag, given = other, other_given
            if tag in _PHRASING:
                if tag == "a" and links:
                    raise _Unfit
            elif tag not in _ALLOWED or phrasing or paragraphs or (tag in _HEADINGS and headings):
                raise _Unfit  # html5ever would close the paragraph or heading this opens in
            elif tag == "li" and stack[-1][0] not in ("ul", "ol"):
                raise _Unfit
            first = children[-1] == 0
            children[-1] += 1
            context = stack[-1][1]
            key = (context, first, tag, given)
            known = written.get(key) if fixed else None
            if known is None:
                known = self._element(context, tag, given, first, inline_css)
                if fixed:
                    written[key] = known
            append(known[0])
            if alone is not None:  # an element of text alone: <p>…</p>
                if tag in VOID_ELEMENTS:
                    raise _Unfit
                append(_text(text) if text else "")
                append(f"</{tag}>")
            elif tag not in VOID_ELEMENTS:
                stack.append((tag, known[1]))
                children.append(0)
                if tag in _PHRASING:
                    phrasing += 1
                    links += tag == "a"
                else:
                    headings += tag in _HEADINGS
                    paragraphs += tag == "p"
        if len(stack) > 1:
            raise _Unfit
        if pos < len(content):
            append(_text(content[pos:]))
        return "".join(out)

    def _context(self, parent: int | None, slot_or_self: int | _Ancestor) -> int:
        """A number for where an element's children stand: in slot `slot_or_self` (no parent),
        or in the element `slot_or_self` of context `parent`."""
        key = (parent, slot_or_self)
        number = self.contexts.get(key)
        if number is None:
            if parent is None:
                assert isinstance(slot_or_self, int)
                where: tuple[int, tuple[_Ancestor, ...]] = (slot_or_self, ())
            else:
                assert isinstance(slot_or_self, tuple)
                slot, chain = self.ancestry[parent]
                where = (slot, (*chain, slot_or_self))
            with _NUMBERING:  # two threads' emails: each number is the place of its own chain
                number = self.contexts.get(key)
                if number is None:
                    self.ancestry.append(where)
                    number = self.contexts[key] = len(self.ancestry) - 1
        return number

    def _element(
        self, context: int, tag: str, given: str, first: bool, inline_css: Callable[[str], str]
    ) -> tuple[str, int]:
        """An element's start tag as css-inline writes it, and the context of its children."""
        attributes = _ATTRIBUTE.findall(given) if given else []
        values = dict(attributes)
        if len(values) != len(attributes):
            raise _Unfit
        ident, css_class = values.get("id", ""), values.get("class", "")
        if not (
            _BARE.match(ident) and _BARE.match(css_class) and all(map(_kept_in_attribute, values.values()))
        ):
            raise _Unfit
        slot, ancestors = self.ancestry[context]
        names = tuple(name for name, _ in attributes)
        shape: _Shape = (slot, ancestors, tag, ident, css_class, first, names, values.get("style"))
        known = self.styles.get(shape)
        if known is None:
            known = self.styles[shape] = self._probe(shape, inline_css)
        order, style = known
        written = [f"<{tag}"]
        for name in order:
            value = style if name == "style" else _escape_attribute(_decode(values[name]))
            written.append(f' {name}="{value}"')
        written.append(">")
        inner = (
            self._context(context, (tag, ident, css_class, first)) if tag not in VOID_ELEMENTS else context
        )
        return "".join(written), inner

    def _probe(self, shape: _Shape, inline_css: Callable[[str], str]) -> tuple[tuple[str, ...], str | None]:
        """How css-inline writes an element of `shape`: its attributes' order and its style.

        Asked with a page that is the frame's head and the element's chain of ancestors, each
        first child or not as it is in the email, and the element, its attributes named as in
        the email (the frame's selectors read only id and class), with one more that marks it."""
        slot, ancestors, tag, ident, css_class, first, names, style = shape
        page = [self.head]
        closing: list[str] = []
        chain = self.chains[slot] + [(t, _start_tag(t, i, c), f) for t, i, c, f in ancestors]
        for t, start, f in chain:
            if not f:
                page.append(f"<{t}></{t}>")  # a sibling before it, of its own kind: valid where it is
            page.append(start)
            closing.append(f"</{t}>")
        if not first:
            page.append(f"<{tag}></{tag}>" if tag not in VOID_ELEMENTS else f"<{tag}>")
        given = {"id": ident, "class": css_class, "style": style or ""}
        attributes = "".join(f' {n}="{given.get(n, "x")}"' for n in names)
        page.append(f"<{tag}{attributes} data-nl-probe>")
        page.extend(reversed(closing))
        page.append("</body></html>")
        written = inline_css("".join(page))
        at = written.find(" data-nl-probe")
        begin = written.rfind(f"<{tag}", 0, at)
        end = written.find(">", at)
        if at < 0 or begin < 0 or end < 0:
            raise _Unfit
        found = _ATTRIBUTE.findall(" " + written[begin + len(tag) + 1 : end].replace(' data-nl-probe=""', ""))
        order = tuple(n for n, _ in found)
        if sorted(order) != sorted({*names, "style"} if "style" in order else names):
            raise _Unfit
        return order, dict(found).get("style")


def _start_tag(tag: str, ident: str, css_class: str) -> str:
    return (
        f"<{tag}" + (f' id="{ident}"' if ident else "") + (f' class="{css_class}"' if css_class else "") + ">"
    )


def _text(text: str) -> str:
    """A text between tags, as mjml-python keeps it and css-inline writes it."""
    if text[0] == "\n" and text.isspace():
        if text.strip(" \t\n\xa0"):
            raise _Unfit  # white space mjml-python (Rust) and Python may tell apart
        return ""  # mjml-python drops white space that starts with a line break
    if _SPECIAL.search(text) is None:
        return text
    if "<" in text or "\r" in text or "\x0c" in text:  # markup not read here; CR LF (html5ever writes LF)
        raise _Unfit
    return _escape_text(_decode(text))


def _kept_in_attribute(value: str) -> bool:
    """Whether mjml-python writes `value` into an attribute as it is. It escapes every
    attribute as Rust's `escape_debug` does: a quote, a backslash, a tab, a character that is not
    printable (a no-break space, a soft hyphen, one unassigned) or that combines with the one
    before it becomes `\\u{301}`, `\\t`, …"""
    if not value.isprintable() or '"' in value or "'" in value or "\\" in value:
        return False
    return value.isascii() or not any(
        unicodedata.category(c)[0] == "M" or c in _EXTENDING for c in value if c > "\x7f"
    )


#: Characters Rust's `escape_debug` also takes as combining ones (Unicode's Other_Grapheme_Extend
#: outside the marks): halfwidth sound marks, emoji skin tones.
_EXTENDING = frozenset("\uff9e\uff9f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


def _decode(text: str) -> str:
    if "&" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        if m.group(1) is None:
            raise _Unfit  # a reference html5ever may read otherwise, or a bare "&"
        return _DECODED[m.group(1)]

    return _REFERENCE.sub(one, text)


#: How html5ever writes a text and an attribute's value ("&" first: the others bring one).
_IN_TEXT = (("&", "&amp;"), ("\xa0", "&nbsp;"), ("<", "&lt;"), (">", "&gt;"))
_IN_ATTRIBUTE = (("&", "&amp;"), ("\xa0", "&nbsp;"), ('"', "&quot;"))


def _escaped(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for char, reference in escapes:
        if char in text:
            text = text.replace(char, reference)
    return text


def _escape_text(text: str) -> str:
    return _escaped(text, _IN_TEXT)


def _escape_attribute(text: str) -> str:
    return _escaped(text, _IN_ATTRIBUTE)


# --- the frame ----------------------------------------------------------------------------


def _make_frame(
    frame_mjml: str,
    texts: int,
    htmls: int,
    compile_mjml: Callable[[str], str],
    inline_css: Callable[[str], str],
) -> _Frame | None:
    """The frame compiled and inlined, or None when `fill` cannot use it (the slow way then says
    what is wrong with a template mjml-python refuses)."""
    try:
        compiled = compile_mjml(frame_mjml)
    except NewsletterError:
        return None
    if not _plain_selectors(compiled):
        return None
    walk = _Walk()
    walk.feed(compiled)
    walk.close()
    if walk.unfit or sorted(walk.chains) != list(range(htmls)) or walk.html_seen != htmls:
        return None
    inlined = inline_css(compiled)
    again = _Walk()
    again.feed(inlined)
    again.close()
    if again.unfit:
        return None
    parts: list[str] = []
    gaps: list[tuple[str, int, bool]] = []
    attribute_seen: dict[int, int] = {}
    pos = 0
    for m in _TOKEN.finditer(inlined):
        kind, k = m.group(1), int(m.group(2))
        if kind == "t" and k >= texts:
            return None
        before = inlined[pos : m.start()]
        in_attribute = inlined.rfind("<", 0, m.start()) > inlined.rfind(">", 0, m.start())
        if in_attribute:
            if kind == "h":
                return None
            attribute_seen[k] = attribute_seen.get(k, 0) + 1
        parts.append(before)
        gaps.append((kind, k, in_attribute))
        pos = m.end()
    parts.append(inlined[pos:])
    if attribute_seen != again.in_attributes or sorted(k for kind, k, _ in gaps if kind == "h") != list(
        range(htmls)
    ):
        return None
    body = compiled.find("<body")
    head_end = compiled.find(">", body) + 1
    if body < 0 or head_end <= 0:
        return None
    return _Frame(parts, gaps, compiled[:head_end], walk.chains)


class _Walk(HTMLParser):
    """The compiled frame's elements: for each `<mj-text>` placeholder, the elements it stands
    in (below <body>); where the title's and preview's stand. Unfit when a placeholder stands
    where the slow way would write it otherwise (a comment, a style, a script)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[tuple[str, str, bool]] = []
        self.children = [0]
        self.chains: dict[int, list[tuple[str, str, bool]]] = {}
        self.html_seen = 0
        self.in_attributes: dict[int, int] = {}
        self.unfit = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs, void=tag in VOID_ELEMENTS)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs, void=True)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]], *, void: bool) -> None:
        first = self.children[-1] == 0
        self.children[-1] += 1
        for _, value in attrs:
            for m in _TOKEN.finditer(value or ""):
                if m.group(1) == "t":
                    self.in_attributes[int(m.group(2))] = self.in_attributes.get(int(m.group(2)), 0) + 1
        if not void:
            self.stack.append((tag, self.get_starttag_text() or "", first))
            self.children.append(0)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            self.unfit = True
            return
        self.stack.pop()
        self.children.pop()

    def handle_data(self, data: str) -> None:
        for m in _TOKEN.finditer(data):
            if self.stack and self.stack[-1][0] in ("style", "script", "textarea"):
                self.unfit = True
            if m.group(1) == "h":
                if data != m.group() or not self._below_body():
                    self.unfit = True
                    continue
                self.html_seen += 1
                self.chains[int(m.group(2))] = [e for e in self.stack if e[0] not in ("html", "body")]

    def _below_body(self) -> bool:
        return len(self.stack) >= 2 and self.stack[0][0] == "html" and self.stack[1][0] == "body"

    def handle_comment(self, data: str) -> None:
        if _MARK in data:
            self.unfit = True


# --- the stylesheet -------------------------------------------------------------------------

_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S | re.I)
_COMMENTS = re.compile(r"<!--.*?-->", re.S)
_LINK = re.compile(r"<link\b", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SELECTOR = re.compile(r"[\sa-zA-Z0-9_.#*>-]*(?::(?:first-child|root)\b[\sa-zA-Z0-9_.#*>-]*)*\Z")


def _plain_selectors(html: str) -> bool:
    """Whether every selector of the page's stylesheets is one whose matches `fill` can know:
    type, class and id selectors, `*`, `:first-child` and `:root`, with descendant and child
    combinators (none for siblings, no attribute selector, no other pseudo-class)."""
    html = _COMMENTS.sub("", html)
    if _LINK.search(html):  # a stylesheet css-inline may read, that is not checked here
        return False
    sheets = _STYLE.findall(html)
    for sheet in sheets:
        css = _CSS_COMMENT.sub("", sheet)
        if not _selectors_plain(css):
            return False
    return True


def _selectors_plain(css: str) -> bool:
    """Whether each rule css-inline inlines (those outside at-rules: it inlines no `@media`)
    has only plain selectors; nested rules are not known here."""
    depth, pos, in_rule = 0, 0, False
    for i, ch in enumerate(css):
        if ch == "{":
            if depth == 0:
                prelude = css[pos:i].strip()
                in_rule = not prelude.startswith("@")
                if in_rule and not all(_SELECTOR.match(s.strip()) for s in prelude.split(",")):
                    return False
            elif in_rule:
                return False
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
            if depth == 0:
                pos, in_rule = i + 1, False
        elif ch == ";" and depth == 0:  # an at-rule without a block (@import, @charset)
            pos = i + 1
    return depth == 0
