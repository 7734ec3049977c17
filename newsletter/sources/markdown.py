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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from html import escape, unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..errors import NewsletterError
from ..model import LANGUAGE_TAG, Article, Block, BlockKind, Issue, Link, Person, RelatedLink, Section
from ..sanitize import clean_html
from . import unique_newest_first
from .decode import clean_inline_text, decode_source, read_limited
from .slug import slugify as slugify

if TYPE_CHECKING:
    from bs4 import PageElement

# BeautifulSoup (50 ms to import) is loaded only where HTML is more than the sanitizer's own
# output read with a regular expression: odd HTML blocks, and writing Markdown back.

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe YAML with dates kept as text, so `parse_datetime` alone judges them."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))

RELATED_MARK = re.compile(r"^\s*<!--\s*related:\s*(\d+)\s*-->\s*$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
REQUIRED = ("id", "title", "date", "language")
SLUG_FROM_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}-(.+)$")

_md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table")


def parse_datetime(
    value: Any,
    what: str,
    path: str | None = None,
    line: int | None = None,
    *,
    example: str = "2025-11-20T08:00:00+01:00",
) -> dt.datetime:
    """An aware datetime from an ISO 8601 string with Z or an offset: front matter and the
    command line's time options read through here."""
    if isinstance(value, dt.datetime):
        when, shown = value, value.isoformat()
    elif isinstance(value, str):
        shown = repr(value)
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise NewsletterError(
                f"{what} {shown} is not an ISO 8601 date-time; write e.g. {example}", path=path, line=line
            ) from None
    else:
        raise NewsletterError(f"{what} must be a date-time like {example}", path=path, line=line)
    if when.tzinfo is None:
        raise NewsletterError(
            f"{what} {shown} has no time zone; add Z or an offset like +01:00", path=path, line=line
        )
    return when


# In a one-line field: C0/C1 controls (CR and LF too: header injection), surrogates, noncharacters.
_NOT_ONE_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def one_line(value: str, key: str, path: str) -> str:
    """A one-line front-matter text. YAML escapes (a quoted "\\r\\n" or "\\x01") can smuggle in
    what the decoder refuses, so line breaks and controls are refused here again; bidi and
    zero-width characters are dropped and spaces folded, as everywhere."""
    m = _NOT_ONE_LINE.search(value)
    if m:
        raise NewsletterError(
            f"front matter '{key}' contains a line break or control character (U+{ord(m.group()):04X}); "
            "it must be one line",
            path=path,
        )
    return clean_inline_text(value)


def text_field(value: Any, key: str, path: str) -> str:
    """A one-line front-matter text (a number is taken as its digits)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise NewsletterError(f"front matter '{key}' must be text", path=path)
    return one_line(str(value), key, path)


def url_field(value: Any, key: str, path: str) -> str | None:
    """An absolute http(s) URL without spaces or control characters, or None when absent."""
    if value is None or value == "":
        return None
    url = value.strip() if isinstance(value, str) else ""
    if not url.startswith(("https://", "http://")) or not url.isprintable() or " " in url:
        raise NewsletterError(
            f"front matter '{key}' must be an absolute http(s) URL like https://example.org/page",
            path=path,
        )
    return url


def people_field(value: Any, key: str, path: str) -> tuple[Person, ...]:
    if value is None:
        return ()
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        raise NewsletterError(f"front matter '{key}' must be a list of names", path=path)
    out = []
    for v in value:
        name = v if isinstance(v, str) else v.get("name") if isinstance(v, dict) else None
        name = one_line(name, key, path) if isinstance(name, str) else ""
        if not name:
            raise NewsletterError(f"front matter '{key}' entries must be names or {{name, url}}", path=path)
        url = url_field(v.get("url"), f"{key}: url", path) if isinstance(v, dict) else None
        out.append(Person(name, url))
    return tuple(out)


def strings_field(value: Any, key: str, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        raise NewsletterError(f"front matter '{key}' must be a list of words", path=path)
    return tuple(t for t in (one_line(str(v), key, path) for v in value) if t)


def related_field(value: Any, path: str) -> tuple[RelatedLink, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise NewsletterError("front matter 'related' must be a list of {title, url}", path=path)
    out = []
    for v in value:
        title = v.get("title") if isinstance(v, dict) else None
        title = one_line(title, "related", path) if isinstance(title, str) else ""
        if not title:
            raise NewsletterError("every 'related' entry needs a title: {title: …, url: …}", path=path)
        try:
            url = url_field(v.get("url"), "related: url", path)
        except NewsletterError:
            raise NewsletterError(f"related link {title!r} has no absolute http(s) url", path=path) from None
        out.append(RelatedLink(title, url))
    return tuple(out)


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str, int]:
    """(front matter, body, the body's first line number)."""
    m = FRONT_MATTER.match(text)
    if not m:
        raise NewsletterError(
            "no front matter; start the file with '---', the YAML fields (title, date, …), and '---'",
            path=path,
            line=1,
        )
    try:
        data = yaml.load(m.group(1), Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise NewsletterError(f"broken front matter: {problem}", path=path, line=line) from None
    if not isinstance(data, dict):
        raise NewsletterError("front matter must be YAML fields like 'title: …'", path=path, line=2)
    return data, text[m.end() :], text[: m.end()].count("\n") + 1


def read_issue(path: Path, *, max_bytes: int = 5_000_000) -> Issue:
    """Read one issue file into the model, or raise one NewsletterError naming the file."""
    p = str(path)
    text = decode_source(read_limited(path, max_bytes), p, max_bytes=max_bytes)
    data, body, body_line = split_front_matter(text, p)
    for key in REQUIRED:
        if key not in data or data[key] in (None, ""):
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
        raise NewsletterError(f"'language' {language!r} must be a language code like de, fr or pt-BR", path=p)
    date = parse_datetime(data["date"], "'date'", p)
    updated = parse_datetime(data["updated"], "'updated'", p) if data.get("updated") else None
    related = related_field(data.get("related"), p)
    sections = parse_body(body, related_count=len(related), path=p, first_line=body_line)
    summary = text_field(data.get("summary"), "summary", p)
    if not summary:
        summary = next(
            (" ".join(b.text.split()) for s in sections for b in s.blocks if b.kind == "paragraph"), ""
        )
    m = SLUG_FROM_FILE.match(path.stem)
    slug = str(data.get("slug") or (m.group(1) if m else path.stem))
    if slug != slugify(slug, max_length=200):
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
        image=url_field(data.get("image"), "image", p),
        image_alt=text_field(data.get("image_alt"), "image_alt", p),
    )
    return Issue(
        id=issue_id,
        slug=slug,
        date=date,
        updated=updated,
        language=language,
        article=article,
        source_path=p,
        preheader=text_field(data.get("preheader"), "preheader", p),
    )


def read_issues(folder: Path, *, max_bytes: int = 5_000_000) -> list[Issue]:
    """Every `*.md` in `folder`, newest first; duplicate ids or slugs are an error."""
    return unique_newest_first([read_issue(p, max_bytes=max_bytes) for p in sorted(folder.glob("*.md"))])


# --- body ------------------------------------------------------------------------------------


def _inline_text(tokens: Iterable[Token]) -> tuple[str, tuple[Link, ...]]:
    parts: list[str] = []
    links: list[Link] = []
    href: str | None = None
    label: list[str] = []
    for t in tokens:
        if t.type == "link_open":
            href, label = str(t.attrGet("href") or ""), []
        elif t.type == "link_close":
            if href and href.startswith(("http://", "https://", "mailto:")):
                links.append(Link("".join(label).strip(), href))
            href = None
        elif t.type in ("text", "code_inline"):
            parts.append(t.content)
            if href is not None:
                label.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            parts.append(" " if t.type == "softbreak" else "\n")
        elif t.type == "image":
            parts.append(t.content)
        elif t.type == "html_inline" and t.content.lower().startswith("<br"):
            parts.append("\n")
    return "".join(parts).strip(), tuple(links)


# Sanitized HTML is nh3's serialization: attribute values double-quoted, `<` and `&` in text
# escaped, every element closed. So one regular expression reads its tags, without a parser.
_TAG = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[^\s"=>/]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s+([^\s"=>/]+)(?:="([^"]*)")?')


def _attribute(attributes: str, name: str) -> str | None:
    for m in _ATTRIBUTE.finditer(attributes):
        if m.group(1).lower() == name:
            return unescape(m.group(2) or "")
    return None


def _read_sanitized(html: str) -> tuple[list[str], list[str], tuple[Link, ...]]:
    """(text nodes, the text as read with <br> and <img alt> in it, links) of sanitized HTML."""
    nodes: list[str] = []
    shown: list[str] = []
    links: list[tuple[str, list[str]]] = []
    open_links: list[int] = []
    pos = 0
    for m in _TAG.finditer(html):
        if m.start() > pos:
            node = unescape(html[pos : m.start()])
            nodes.append(node)
            shown.append(node.replace("\n", " "))
            for i in open_links:
                links[i][1].append(node)
        pos = m.end()
        closing, name = m.group(1), m.group(2).lower()
        if name == "br":
            shown.append("\n")
        elif name == "img" and not closing:
            shown.append(_attribute(m.group(3), "alt") or "")
        elif name == "a":
            if closing:
                if open_links:
                    open_links.pop()
            else:
                href = _attribute(m.group(3), "href")
                if href is not None:
                    open_links.append(len(links))
                    links.append((href, []))
    if pos < len(html):
        node = unescape(html[pos:])
        nodes.append(node)
        shown.append(node.replace("\n", " "))
        for i in open_links:
            links[i][1].append(node)
    found = tuple(
        Link("".join(label).strip(), href)
        for href, label in links
        if href.startswith(("http://", "https://", "mailto:"))
    )
    return nodes, shown, found


def _html_text(html: str) -> str:
    return " ".join(" ".join(_read_sanitized(html)[0]).split())


def _fragment(html: str) -> tuple[str, tuple[Link, ...]]:
    """(the text of sanitized inline HTML as a reader sees it: <br> breaks the line, its links)."""
    _, shown, links = _read_sanitized(html)
    lines = "".join(shown).split("\n")
    return "\n".join(clean_inline_text(line) for line in lines).strip(), links


def _fragment_links(html: str) -> tuple[Link, ...]:
    return _read_sanitized(html)[2]


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
        return _image_block(inner) or Block("paragraph", inner, *_fragment(inner))
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    top = [c for c in soup.contents if isinstance(c, Tag) or str(c).strip()]
    if len(top) != 1 or not isinstance(top[0], Tag) or top[0].name not in _HTML_KINDS:
        return None
    kind = _HTML_KINDS[top[0].name]
    text = top[0].get_text() if kind == "code" else _html_text(html)
    return Block(kind, html, text, _fragment_links(html))


def _image_block(html: str) -> Block | None:
    """A paragraph that is one image, however it was written: an image block."""
    if not _ONE_IMAGE.fullmatch(html):
        return None
    tag = _TAG.search(html)
    alt = (_attribute(tag.group(3), "alt") or "") if tag else ""
    return Block("image", f"<p>{html.strip()}</p>", alt)


_BLOCK_KINDS: dict[str, BlockKind] = {
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "blockquote_open": "quote",
}


def parse_body(body: str, *, related_count: int, path: str, first_line: int = 1) -> tuple[Section, ...]:
    """Markdown body -> sections of blocks; `##` starts a section."""
    tokens = _md.parse(body)
    sections: list[Section] = []
    heading: str | None = None
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        line = first_line + (t.map[0] if t.map else 0)
        if t.type == "heading_open" and t.tag in ("h1", "h2"):
            text = clean_inline_text(_inline_text(tokens[i + 1].children or [])[0])
            if text:  # an empty "##" starts nothing
                if blocks or heading:
                    sections.append(Section(heading, tuple(blocks)))
                heading, blocks = text, []
            i += 3
            continue
        if t.type == "paragraph_open" and t.level == 0:
            inline = tokens[i + 1]
            children = inline.children or []
            inline_html = _md.renderer.renderInline(children, _md.options, {})  # type: ignore[attr-defined]
            html = clean_html(inline_html)
            # The text is what the sanitizer kept (a <script>'s words are not), read one way
            # whether the paragraph was written in Markdown or in HTML.
            if image := _image_block(html):
                blocks.append(image)
            elif _BLOCK_TAG.search(html):  # inline HTML that opened a block (<h2>, <ul>): not a <p>
                blocks.append(Block("html", html, _html_text(html), _fragment_links(html)))
            elif html.strip():
                blocks.append(Block("paragraph", html, *_fragment(html)))
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
            else:
                html = clean_html(t.content).strip()  # no trailing newline: the same when written back
                if paragraph := _html_block_as_markdown_block(html):
                    blocks.append(paragraph)
                elif html:
                    blocks.append(Block("html", html, _html_text(html), _fragment_links(html)))
            i += 1
            continue
        # any other block (list, quote, code, table, h3…): render its token run as one block
        j = i + 1
        if t.nesting == 1:
            depth = 1
            while j < len(tokens) and depth:
                depth += tokens[j].nesting
                j += 1
        html = clean_html(_md.renderer.render(tokens[i:j], _md.options, {})).strip()
        kind = _BLOCK_KINDS.get(t.type, "code" if t.type in ("fence", "code_block") else "html")
        links = _fragment_links(html)
        if html.strip() and t.type != "hr":
            blocks.append(Block(kind, html, _html_text(html) if kind != "code" else t.content, links))
        i = j
    if blocks or heading:
        sections.append(Section(heading, tuple(blocks)))
    return tuple(sections)


# --- writing ---------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>]|^#|^>|^[-+](?= )|^\d+(?=[.)] ))", re.M)


def escape_markdown(text: str) -> str:
    """Plain text that Markdown will read back as the same text."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _inline_markdown(node: PageElement) -> str:
    from bs4 import NavigableString, Tag

    if isinstance(node, NavigableString):
        return escape_markdown(" ".join(str(node).split(" ")).replace("\n", " "))
    if not isinstance(node, Tag):
        return ""
    inner = "".join(_inline_markdown(c) for c in node.children)
    name = node.name
    if name in ("strong", "b"):
        return f"**{inner}**" if inner.strip() else inner
    if name in ("em", "i"):
        return f"*{inner}*" if inner.strip() else inner
    if name == "code":
        return f"`{node.get_text()}`"
    if name == "br":
        return "\\\n"
    if name == "a" and node.get("href"):
        return f"[{inner}](<{node['href']}>)"
    if name == "img" and node.get("src"):
        return f"![{escape_markdown(str(node.get('alt', '')))}](<{node['src']}>)"
    return inner


def html_to_markdown_inline(html: str) -> str:
    """Inline HTML (links, emphasis, code, line breaks) as Markdown."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    return "".join(_inline_markdown(c) for c in soup.children).strip()


def _reads_back(markdown: str, block: Block) -> bool:
    try:
        sections = parse_body(markdown, related_count=0, path="")
    except NewsletterError:
        return False
    return len(sections) == 1 and sections[0].heading is None and sections[0].blocks == (block,)


def _block_markdown(block: Block) -> str:
    from bs4 import BeautifulSoup, Tag

    if block.kind in ("paragraph", "image"):
        html = block.html
        if block.kind == "image" and html.startswith("<p>"):
            html = html[3:-4]
        return html_to_markdown_inline(html)
    if block.kind == "list":
        soup = BeautifulSoup(block.html, "html.parser")
        lst = soup.find(["ul", "ol"])
        if isinstance(lst, Tag):
            ordered = lst.name == "ol"
            items = [
                ("1. " if ordered else "- ") + html_to_markdown_inline(li.decode_contents())
                for li in lst.find_all("li", recursive=False)
            ]
            return "\n".join(items)
    if block.kind == "quote":
        soup = BeautifulSoup(block.html, "html.parser")
        q = soup.find("blockquote")
        inner = q.decode_contents() if isinstance(q, Tag) else block.html
        paras = [
            html_to_markdown_inline(p.decode_contents())
            for p in BeautifulSoup(inner, "html.parser").find_all("p")
        ]
        return "\n>\n".join("> " + p for p in (paras or [html_to_markdown_inline(inner)]))
    if block.kind == "code":
        return _fenced(block.text)
    return _html_block(block.html)  # the reader sanitizes it again


def _fenced(code: str) -> str:
    """A fenced code block longer than any run of backticks inside it."""
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`+", code))])
    if code and not code.endswith("\n"):
        code += "\n"
    return f"{fence}\n{code}{fence}"


def _html_block(html: str) -> str:
    """Sanitized HTML as Markdown reads it back: one HTML block, never a paragraph.

    Blank lines would end the block early, and HTML that does not open like a block (plain
    text, an inline tag) would be read as a paragraph: so blank lines go and such HTML is
    wrapped in a <div>, which the sanitizer removes again on reading.
    """
    html = re.sub(r"\n[ \t]*(?=\n)", "", html.strip())
    tokens = _md.parse(html)
    if len(tokens) == 1 and tokens[0].type == "html_block" and not RELATED_MARK.match(html):
        return html
    return f"<div>\n{html}\n</div>"


def _yaml_scalar(value: str) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, width=10_000, default_style='"').strip()


def issue_to_markdown(issue: Issue) -> str:
    """The issue as a source file; `read_issue` of the result gives back the same model."""
    a = issue.article
    fm: list[str] = ["---", f"id: {_yaml_scalar(issue.id)}", f"title: {_yaml_scalar(a.title)}"]
    fm.append(f"date: {issue.date.isoformat()}")
    if issue.updated:
        fm.append(f"updated: {issue.updated.isoformat()}")
    fm.append(f"language: {issue.language}")

    def people(key: str, ps: tuple[Person, ...]) -> None:
        if ps:
            fm.append(f"{key}:")
            for p in ps:
                if p.url:
                    fm.append(f"  - name: {_yaml_scalar(p.name)}\n    url: {_yaml_scalar(p.url)}")
                else:
                    fm.append(f"  - {_yaml_scalar(p.name)}")

    people("authors", a.authors)
    people("translators", a.translators)
    if a.summary:
        fm.append(f"summary: {_yaml_scalar(a.summary)}")
    if issue.preheader:
        fm.append(f"preheader: {_yaml_scalar(issue.preheader)}")
    if a.tags:
        fm.append("tags: [" + ", ".join(_yaml_scalar(t) for t in a.tags) + "]")
    if a.related:
        fm.append("related:")
        for r in a.related:
            fm.append(f"  - title: {_yaml_scalar(r.title)}")
            if r.url:
                fm.append(f"    url: {_yaml_scalar(r.url)}")
    if a.source_url:
        fm.append(f"source_url: {_yaml_scalar(a.source_url)}")
    if a.image:
        fm.append(f"image: {_yaml_scalar(a.image)}")
    if a.image_alt:
        fm.append(f"image_alt: {_yaml_scalar(a.image_alt)}")
    fm.append("---")
    body: list[str] = []
    for s in a.sections:
        if s.heading:
            body.append(f"## {escape_markdown(s.heading)}")
        for b in s.blocks:
            if b.kind == "related" and b.related_index is not None:
                body.append(f"<!-- related: {b.related_index + 1} -->")
            else:
                md = _block_markdown(b)
                if not _reads_back(md, b):
                    # Markdown cannot say it (an inline image, unusual markup): the sanitized HTML can
                    md = _html_block(f"<p>{b.html}</p>" if b.kind == "paragraph" else b.html)
                if md.strip():
                    body.append(md)
    return "\n".join(fm) + "\n\n" + "\n\n".join(body) + "\n"


def html_paragraph(text: str) -> Block:
    """A paragraph block from plain text (the text-dump reader's unit)."""
    return Block("paragraph", escape(text, quote=False), text)
