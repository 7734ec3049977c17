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
import unicodedata
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..characters import NOT_ONE_LINE
from ..config import edition_language
from ..errors import NewsletterError, did_you_mean
from ..html_tree import Element, html_tree
from ..inline_text import clean_inline_text
from ..model import LANGUAGE_TAG, Article, Block, BlockKind, Issue, Person, RelatedLink, Section
from ..sanitize import clean_html
from . import unique_newest_first
from .decode import decode_source, read_limited

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


def slugify(text: str, max_length: int = 60) -> str:
    """An ASCII slug: "Kasachstan: Wird sich…" -> "kasachstan-wird-sich"; never empty, no "../"."""
    text = text.replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug or "issue"


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


def one_line(value: str, key: str, path: str) -> str:
    """A one-line front-matter text. YAML escapes (a quoted "\\r\\n" or "\\x01") can smuggle in
    what the decoder refuses, so line breaks and controls are refused here again; bidi and
    zero-width characters are dropped and spaces folded, as everywhere."""
    m = NOT_ONE_LINE.search(value)
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


class _Fields(dict[str, Any]):
    """Front-matter fields that remember which ones the reader asked for: a field no one reads
    (a typo like `titel:`) is an error, and the reader itself is the list of known fields."""

    def __init__(self, data: dict[str, Any]):
        super().__init__(data)
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def refuse_unknown(self, text: str, path: str) -> None:
        for key in self:
            if key not in self.asked:
                hint = (
                    did_you_mean(str(key), self.asked) or f"; the fields are {', '.join(sorted(self.asked))}"
                )
                line = field_line(text, str(key))
                raise NewsletterError(f"unknown front-matter field {key!r}{hint}", path=path, line=line)


def field_line(text: str, key: str) -> int | None:
    """The line of the front-matter field `key` in the file's `text` (1-based), if it is there."""
    m = re.search(rf"^{re.escape(key)}\s*:", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def read_issue(path: Path, *, max_bytes: int = 5_000_000, languages: Sequence[str] = ()) -> Issue:
    """Read one issue file into the model, or raise one NewsletterError naming the file.

    With `languages` (the newsletter's editions), the issue's language must be one of them."""
    p = str(path)
    text = decode_source(read_limited(path, max_bytes), p, max_bytes=max_bytes)
    fields, body, body_line = split_front_matter(text, p)
    data = _Fields(fields)
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
    if languages:
        edition_language(language, languages, path=p, line=field_line(text, "language"))
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
    preheader = text_field(data.get("preheader"), "preheader", p)
    data.refuse_unknown(text, p)
    return Issue(
        id=issue_id,
        slug=slug,
        date=date,
        updated=updated,
        language=language,
        article=article,
        source_path=p,
        preheader=preheader,
    )


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
    images = html_tree(html).find_all(("img",))
    alt = (images[0].get("alt") or "") if images else ""
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
            inline_html = _md.renderer.renderInline(children, _md.options, {})  # type: ignore[attr-defined]
            html = clean_html(inline_html)
            # The text is what the sanitizer kept (a <script>'s words are not), read one way
            # whether the paragraph was written in Markdown or in HTML.
            if image := _image_block(html):
                blocks.append(image)
            elif _BLOCK_TAG.search(html):  # inline HTML that opened a block (<h2>, <ul>): not a <p>
                blocks.append(Block("html", html, _html_text(html)))
            elif html.strip():
                blocks.append(Block("paragraph", html, _fragment(html)))
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
                    blocks.append(Block("html", html, _html_text(html)))
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
        if html.strip() and t.type != "hr":
            blocks.append(Block(kind, html, _html_text(html) if kind != "code" else t.content))
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
