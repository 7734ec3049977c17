"""Issue files: Markdown with YAML front matter, read into the model and written back.

The format (one file per issue in `issues/`)::

    ---
    id: "tag:novastan.org,2025-11-20:kasachstan-abraham-abkommen"
    title: "…"
    date: 2025-11-20T08:00:00+01:00
    language: de
    authors: [Joseph Fischer]
    translators: [Margaret Bullich]
    summary: "…"
    tags: [Kasachstan]
    related:
      - {title: "…", url: "https://…"}
    ---
    First paragraph …

    ## A subheading

    <!-- related: 1 -->

`<!-- related: N -->` marks where the N-th related link stood in the article; Markdown
renderers show nothing there, the outputs show the link (inline) and the block of all of them.
`<!-- video: URL -->` (or an `<iframe>`/`<video>` embed, which the sanitizer removes) is a video
the outputs link to; `<!-- embed: URL -->` (or an `<iframe>` of a map or a chart) is embedded
content they link to. An image is `![alt](https://…)` or a `<figure>` with `<img>` and
`<figcaption>` (a `<small>` or `<cite>` in it, or "Foto:", "Photo :", "©", is the credit).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from html import unescape
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.rules_core.block import block
from markdown_it.rules_core.normalize import normalize
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token

from ..characters import NOT_XML
from ..config import edition_language
from ..errors import NewsletterError, did_you_mean
from ..figures import EMBEDS, embed_block, image_block, image_from_html, is_embed
from ..html_tree import Element, html_tree
from ..inline_text import clean_inline_text
from ..model import LANGUAGE_TAG, Article, Block, BlockKind, Issue, Section, Teaser
from ..sanitize import clean_html
from ..xmltext import known_xml_safe
from . import unique_newest_first
from .decode import decode_source, read_limited
from .front_matter import (
    Fields,
    field_line,
    image_field,
    is_slug,
    language_field,
    parse_datetime,
    people_field,
    related_field,
    split_front_matter,
    strings_field,
    text_field,
    translations_field,
    url_field,
)
from .teasers import articles_field, file_slug

RELATED_MARK = re.compile(r"^\s*<!--\s*related:\s*(\d+)\s*-->\s*$")
EMBED_MARK = re.compile(r"^\s*<!--\s*(video|embed):\s*(https?://\S+?)\s*-->\s*$")
REQUIRED = ("id", "title", "date", "language")

#: The one Markdown parser: the reader parses with it, the writer checks what it writes with it.
PARSER = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table")

# Text where no inline rule of the parser can start (no emphasis, code, link, image, escape,
# entity, autolink, HTML or line break): markdown-it makes it one text token.
_NO_INLINE_RULE = r"\n\\`*_~\[\]!<>&"  # the characters one can start at, and the line break
_PLAIN_INLINE = re.compile(f"[^{_NO_INLINE_RULE}]+")


def _parse_inlines(state: StateCore) -> None:
    """markdown-it's core "inline" rule, with the one token plain text becomes made directly:
    most of an article's paragraphs are plain, and its inline parser costs a tenth of a
    millisecond per article to find that out. The tokens are the same either way."""
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            if _PLAIN_INLINE.fullmatch(token.content):
                text = Token("text", "", 0)
                text.content = token.content
                token.children.append(text)
            else:
                state.md.inline.parse(token.content, state.md, state.env, token.children)


PARSER.core.ruler.at("inline", _parse_inlines)

# A line that may start (or end a paragraph with) a block other than a paragraph, an ATX heading
# or a one-line HTML comment: indented code or a lazy line, a quote, a list, a rule, a setext
# underline, a fence, a table's delimiter row, a link reference definition, other HTML.
_OTHER_BLOCK = re.compile(r"[ \t>*+\-=_`~|:\[]|\d+[.)]")
_HEADING = re.compile(r"(#{1,6})(?:[ \t](.*))?")  # a whole line; it may interrupt a paragraph


def _simple_blocks(src: str) -> list[Token] | None:
    """markdown-it's block tokens of `src` when it is made only of paragraphs, ATX headings and
    one-line HTML comments (`<!-- related: 1 -->`), as most articles are; None for anything
    else, which markdown-it's block parser then reads. Its rules are line by line: a paragraph
    runs to a blank line or to a heading or comment that interrupts it."""
    lines = src.split("\n")
    total = len(lines)  # a line before the last has its line break in `src`
    if lines and not lines[-1].strip(" \t"):  # markdown-it marks no last line of only spaces
        lines.pop()
    tokens: list[Token] = []
    n, i = len(lines), 0
    while i < n:
        line = lines[i]
        if not line.strip(" \t"):
            i += 1
            continue
        if line[0] == "#":
            heading = _HEADING.fullmatch(line)
            if heading is None:
                return None
            rest = heading.group(2) or ""
            if rest.rstrip(" \t").endswith("#"):  # a closing sequence: not read here
                return None
            tag, markup = f"h{len(heading.group(1))}", heading.group(1)
            _push(tokens, "heading_open", tag, 1, [i, i + 1]).markup = markup
            _push(tokens, "inline", "", 0, [i, i + 1], mdTrim(rest)).level = 1
            _push(tokens, "heading_close", tag, -1).markup = markup
            i += 1
            continue
        if line[0] == "<":
            if not line.startswith("<!--") or "-->" not in line:
                return None
            _push(tokens, "html_block", "", 0, [i, i + 1], line + "\n" if i < total - 1 else line)
            i += 1
            continue
        if _OTHER_BLOCK.match(line):
            return None
        j = i + 1
        while j < n:
            line = lines[j]
            if not line.strip(" \t") or line.startswith("<!--") or _HEADING.fullmatch(line):
                break  # a blank line, or a block that interrupts a paragraph
            if line[0] == "<" or _OTHER_BLOCK.match(line):
                return None
            j += 1
        _push(tokens, "paragraph_open", "p", 1, [i, j])
        _push(tokens, "inline", "", 0, [i, j], mdTrim("\n".join(lines[i:j]))).level = 1
        _push(tokens, "paragraph_close", "p", -1)
        i = j
    return tokens


def _push(
    tokens: list[Token], kind: str, tag: str, nesting: int, lines: list[int] | None = None, content: str = ""
) -> Token:
    """A block token as markdown-it's `StateBlock.push` makes it (at the top level)."""
    token = Token(kind, tag, nesting)  # type: ignore[arg-type]
    token.block, token.map, token.content = True, lines, content
    if kind == "inline":
        token.children = []
    tokens.append(token)
    return token


def _parse_blocks(state: StateCore) -> None:
    """markdown-it's core "block" rule, with the tokens of a body of plain blocks made directly
    (`_simple_blocks`): its block parser tries eleven rules on every line. The tokens are the same."""
    tokens = None if state.inlineMode else _simple_blocks(state.src)
    if tokens is None:
        block(state)
    else:
        state.tokens.extend(tokens)


PARSER.core.ruler.at("block", _parse_blocks)


def _normalize(state: StateCore) -> None:
    """markdown-it's core "normalize" rule, which has nothing to do in a text without a
    carriage return or a NUL: two looks instead of two regular expressions over the text."""
    if "\r" in state.src or "\0" in state.src:
        normalize(state)


PARSER.core.ruler.at("normalize", _normalize)


def read_issue(
    path: Path,
    *,
    max_bytes: int = 5_000_000,
    languages: Sequence[str] = (),
    issues_dir: Path | None = None,
    resolve: bool = True,
    raw: bytes | None = None,
) -> Issue:
    """Read one issue file into the model, or raise one NewsletterError naming the file.

    With `languages` (the newsletter's editions), the issue's language must be one of them.
    A digest's `articles:` naming issue files are read from `issues_dir` (default: the file's
    folder); with `resolve` False they are not (then each is a teaser with only its name).
    `raw`: the file's bytes, read already (within `max_bytes`)."""
    p = str(path)
    if raw is None:
        raw = read_limited(path, max_bytes)
    text = decode_source(raw, p, max_bytes=max_bytes)
    fields, body, body_line = split_front_matter(text, p)
    data = Fields(fields)
    for key in REQUIRED:
        if key not in data or data[key] in (None, ""):
            typo = next((k for k in fields if k not in REQUIRED and did_you_mean(str(k), [key])), None)
            if typo is not None:
                raise NewsletterError(
                    f"unknown front-matter field {typo!r}; did you mean {key!r}?",
                    path=p,
                    line=field_line(text, str(typo)),
                )
            raise NewsletterError(
                f"front matter lacks '{key}'; add '{key}: …' between the '---' lines", path=p
            )
    title = text_field(data["title"], "title", p)
    if not title:
        raise NewsletterError("front matter 'title' is empty; give the issue a title", path=p)
    issue_id = str(data["id"]).strip()
    if not re.match(r"^(tag:|urn:|https?://)\S+$", issue_id) or not issue_id.isprintable():
        raise NewsletterError(
            f"'id' {issue_id!r} must be a tag: URI like tag:example.org,2025-11-20:slug", path=p
        )
    language = str(data["language"]).strip()
    if not LANGUAGE_TAG.fullmatch(language):
        raise NewsletterError(
            f"'language' {language!r} must be a language code like de, fr or pt-BR",
            path=p,
            line=field_line(text, "language"),
        )
    # An edition as written is one; any other is the edition it names (pt-BR: pt), or the error.
    if languages and language not in languages:
        edition_language(language, languages, path=p, line=field_line(text, "language"))
    date = parse_datetime(data["date"], "'date'", p)
    updated = parse_datetime(data["updated"], "'updated'", p) if data.get("updated") else None
    related = related_field(data.get("related"), p)
    sections = parse_body(body, related_count=len(related), path=p, first_line=body_line)
    summary = text_field(data.get("summary"), "summary", p)
    articles = _articles(data.get("articles"), text, path, issues_dir, resolve, max_bytes, languages, date)
    if not summary and articles and not sections:  # a digest without an intro: its titles
        summary = " · ".join(t.title for t in articles)
    if not summary:
        summary = next(
            (" ".join(b.text.split()) for s in sections for b in s.blocks if b.kind == "paragraph"), ""
        )
    slug = str(data.get("slug") or file_slug(path))
    if not is_slug(slug):
        raise NewsletterError(f"slug {slug!r} may hold only a-z, 0-9 and '-'", path=p)
    article = Article(
        title=title,
        summary=summary,
        sections=sections,
        authors=people_field(data.get("authors"), "authors", p),
        translators=people_field(data.get("translators"), "translators", p),
        tags=strings_field(data.get("tags"), "tags", p),
        related=related,
        source_url=url_field(data.get("source_url"), "source_url", p),
        image=image_field(data.get("image"), data.get("image_alt"), p),
        translations=translations_field(data.get("translations"), p, _line(data, text, "translations")),
        translated_from=language_field(
            data.get("translated_from"), "translated_from", p, _line(data, text, "translated_from")
        ),
    )
    preheader = text_field(data.get("preheader"), "preheader", p)
    data.refuse_unknown(text, p)
    issue = Issue(
        id=issue_id,
        slug=slug,
        date=date,
        updated=updated,
        language=language,
        article=article,
        source_path=p,
        preheader=preheader,
        articles=articles,
    )
    # Every string of the issue comes from `text`, which `decode_source` refused with any
    # character XML cannot carry, through YAML, markdown-it and the sanitizer, which make none
    # (a character reference to one is U+FFFD or dropped), or from its path. Only a YAML escape
    # ("\x01" in a quoted value) makes one: with none in the front matter, the outputs' XML-safe
    # walk is not needed. A digest's teasers come from other files: walked.
    if not articles and "\\" not in text[: len(text) - len(body)] and NOT_XML.search(p) is None:
        known_xml_safe(issue)
    return issue


def _line(data: Fields, text: str, key: str) -> int | None:
    """The line of the field `key` for an error about it: looked for only when it is there."""
    return field_line(text, key) if data.get(key) is not None else None


def _articles(
    value: object,
    text: str,
    path: Path,
    issues_dir: Path | None,
    resolve: bool,
    max_bytes: int,
    languages: Sequence[str],
    date: dt.datetime,
) -> tuple[Teaser, ...]:
    """A digest's `articles:`; unresolved (a teaser per item, named only) when `resolve` is False."""
    if not resolve:
        return tuple(Teaser(title=str(v), source=str(v)) for v in value) if isinstance(value, list) else ()
    folder = issues_dir if issues_dir is not None else path.parent

    def read(target: Path) -> Issue:
        return read_issue(target, max_bytes=max_bytes, languages=languages, issues_dir=folder, resolve=False)

    return articles_field(value, text, str(path), folder, read, not_after=date)


def read_issues(folder: Path, *, max_bytes: int = 5_000_000, languages: Sequence[str] = ()) -> list[Issue]:
    """Every `*.md` in `folder`, newest first; duplicate ids or slugs are an error."""
    return unique_newest_first(
        [read_issue(p, max_bytes=max_bytes, languages=languages) for p in sorted(folder.glob("*.md"))]
    )


# --- body ------------------------------------------------------------------------------------


def _inline_text(tokens: Iterable[Token]) -> str:
    parts: list[str] = []
    for t in tokens:
        if t.type in ("text", "code_inline", "image"):
            parts.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            parts.append(" " if t.type == "softbreak" else "\n")
        elif t.type == "html_inline" and t.content.lower().startswith("<br"):
            parts.append("\n")
    return "".join(parts).strip()


def _read_sanitized(html: str) -> tuple[list[str], list[str]]:
    """(text nodes, the text as read with <br> and <img alt> in it) of sanitized HTML."""
    nodes: list[str] = []
    shown: list[str] = []
    for node in html_tree(html).descendants():
        if isinstance(node, Element):
            if node.name == "br":
                shown.append("\n")
            elif node.name == "img":
                shown.append(node.get("alt") or "")
        else:
            nodes.append(node)
            shown.append(node.replace("\n", " "))
    return nodes, shown


def _html_text(html: str) -> str:
    return " ".join(" ".join(_read_sanitized(html)[0]).split())


def _fragment(html: str) -> str:
    """The text of sanitized inline HTML as a reader sees it: <br> breaks the line."""
    lines = "".join(_read_sanitized(html)[1]).split("\n")
    return "\n".join(clean_inline_text(line) for line in lines).strip()


# One sanitized <p> and nothing else: an HTML paragraph, read like a Markdown one.
_ONE_PARAGRAPH = re.compile(r"<p>((?:(?!</?p[\s>]).)*)</p>", re.S)
_BLOCK_TAG = re.compile(r"<(?:p|h[1-6]|ul|ol|li|blockquote|pre|table|hr|figure)[\s>/]")
_ONE_IMAGE = re.compile(r"\s*<img\b[^>]*>\s*")


_HTML_KINDS: dict[str, BlockKind] = {"blockquote": "quote", "ul": "list", "ol": "list", "pre": "code"}


def _html_block_as_markdown_block(html: str) -> Block | None:
    """Sanitized HTML that is one paragraph, quote, list or code block, read as that block:
    the same block whether it was written in Markdown or in HTML."""
    m = _ONE_PARAGRAPH.fullmatch(html)
    if m:
        inner = m.group(1)
        if not inner.strip():
            return None
        return _image_block(inner) or Block("paragraph", inner, _fragment(inner))
    top = [c for c in html_tree(html).children if isinstance(c, Element) or c.strip()]
    if len(top) != 1 or not isinstance(top[0], Element) or top[0].name not in _HTML_KINDS:
        return None
    kind = _HTML_KINDS[top[0].name]
    text = top[0].get_text() if kind == "code" else _html_text(html)
    return Block(kind, html, text)


def _image_block(html: str) -> Block | None:
    """A paragraph that is one image, however it was written: an image block."""
    if not _ONE_IMAGE.fullmatch(html):
        return None
    image = image_from_html(html)
    return image_block(image) if image else None


def _figure_block(html: str) -> Block | None:
    """A <figure> of one image (with its caption and credit): an image block."""
    top = [c for c in html_tree(html).children if isinstance(c, Element) or c.strip()]
    if len(top) != 1 or not isinstance(top[0], Element) or top[0].name != "figure":
        return None
    image = image_from_html(html)
    return image_block(image) if image else None


_EMBED = re.compile(
    r"<(" + "|".join((*EMBEDS, "source")) + r")\b[^>]*?\s(?:src|data)\s*=\s*[\"']?(https?://[^\"'\s>]+)", re.I
)


def _embed_blocks(html: str) -> list[Block]:
    """The embedded video players and content frames of raw HTML (before the sanitizer drops
    them), as links."""
    found = [
        ("video" if m.group(1).lower() == "source" else m.group(1).lower(), unescape(m.group(2)))
        for m in _EMBED.finditer(html)
    ]
    blocks = [embed_block(name, src) for name, src in found if is_embed(name, src)]
    return list({(b.kind, b.url): b for b in blocks}.values())


# Text the Markdown renderer, the sanitizer and the reader of its HTML each give back as it is:
# plain inline text (`_PLAIN_INLINE`) with nothing HTML writes as a reference (a no-break space
# comes back as "&nbsp;"; "<", ">" and "&" are not in it).
_PLAIN_TEXT = re.compile(f"[^{_NO_INLINE_RULE}\u00a0]+")


def _plain_paragraph(children: list[Token]) -> Block | None:
    """The block of a paragraph that is one text of printable characters without markup (as
    most of an article's are), made directly; None for any other. It is the block the longer
    way makes: render, sanitize, read the HTML's text."""
    if len(children) != 1 or children[0].type != "text":
        return None
    text = children[0].content
    if not text.isprintable() or not _PLAIN_TEXT.fullmatch(text):
        return None
    return Block("paragraph", text, clean_inline_text(text))


_BLOCK_KINDS: dict[str, BlockKind] = {
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "blockquote_open": "quote",
}


def parse_body(body: str, *, related_count: int, path: str, first_line: int = 1) -> tuple[Section, ...]:
    """Markdown body -> sections of blocks; `##` starts a section."""
    tokens = PARSER.parse(body)
    sections: list[Section] = []
    heading: str | None = None
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        line = first_line + (t.map[0] if t.map else 0)
        if t.type == "heading_open" and t.tag in ("h1", "h2"):
            text = clean_inline_text(_inline_text(tokens[i + 1].children or []))
            if text:  # an empty "##" starts nothing
                if blocks or heading:
                    sections.append(Section(heading, tuple(blocks)))
                heading, blocks = text, []
            i += 3
            continue
        if t.type == "paragraph_open" and t.level == 0:
            inline = tokens[i + 1]
            children = inline.children or []
            if plain := _plain_paragraph(children):
                blocks.append(plain)
                i += 3
                continue
            inline_html = PARSER.renderer.renderInline(children, PARSER.options, {})  # type: ignore[attr-defined]
            html = clean_html(inline_html)
            # The text is what the sanitizer kept (a <script>'s words are not), read one way
            # whether the paragraph was written in Markdown or in HTML.
            if image := _image_block(html):
                blocks.append(image)
            elif _BLOCK_TAG.search(html):  # inline HTML that opened a block (<h2>, <ul>): not a <p>
                blocks.append(Block("html", html, _html_text(html)))
            elif html.strip():
                blocks.append(Block("paragraph", html, _fragment(html)))
            blocks.extend(_embed_blocks(inline_html))  # a player written inside the paragraph
            i += 3
            continue
        if t.type == "html_block":
            m = RELATED_MARK.match(t.content)
            if m:
                n = int(m.group(1))
                if not 1 <= n <= related_count:
                    raise NewsletterError(
                        f"'<!-- related: {n} -->' but front matter 'related' has {related_count} entries",
                        path=path,
                        line=line,
                    )
                blocks.append(Block("related", related_index=n - 1))
            elif embed := EMBED_MARK.match(t.content):
                blocks.append(Block("video" if embed.group(1) == "video" else "embed", url=embed.group(2)))
            else:
                html = clean_html(t.content).strip()  # no trailing newline: the same when written back
                if paragraph := _html_block_as_markdown_block(html) or _figure_block(html):
                    blocks.append(paragraph)
                elif html:
                    blocks.append(Block("html", html, _html_text(html)))
                blocks.extend(_embed_blocks(t.content))
            i += 1
            continue
        # any other block (list, quote, code, table, h3…): render its token run as one block
        j = i + 1
        if t.nesting == 1:
            depth = 1
            while j < len(tokens) and depth:
                depth += tokens[j].nesting
                j += 1
        html = clean_html(PARSER.renderer.render(tokens[i:j], PARSER.options, {})).strip()
        kind = _BLOCK_KINDS.get(t.type, "code" if t.type in ("fence", "code_block") else "html")
        if html.strip() and t.type != "hr":
            blocks.append(Block(kind, html, _html_text(html) if kind != "code" else t.content))
        i = j
    if blocks or heading:
        sections.append(Section(heading, tuple(blocks)))
    return tuple(sections)
