"""Writing an issue back as a source file: the model -> Markdown with YAML front matter.

`issue_to_markdown` is what `newsletter import` writes; `read_issue` of its result gives back
the same model (each block is checked to read back as itself, else kept as HTML).
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import NewsletterError
from ..model import Block, Image, Issue, Person, Teaser
from .markdown import PARSER, RELATED_MARK, parse_body

if TYPE_CHECKING:
    from bs4 import PageElement

# BeautifulSoup (50 ms to import) is loaded here only when Markdown is written.
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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

    if block.image is not None:
        if block.image == Image(block.image.url, block.image.alt):  # ![alt](url) says it all
            return html_to_markdown_inline(
                f'<img src="{escape(block.image.url)}" alt="{escape(block.image.alt)}">'
            )
        return _html_block(block.html)
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
    tokens = PARSER.parse(html)
    if len(tokens) == 1 and tokens[0].type == "html_block" and not RELATED_MARK.match(html):
        return html
    return f"<div>\n{html}\n</div>"


def _yaml_scalar(value: str) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, width=10_000, default_style='"').strip()


def _image_lines(image: Image) -> list[str]:
    """Front matter `image:`: the URL alone, or a mapping with what else is known."""
    if image == Image(image.url):
        return [f"image: {_yaml_scalar(image.url)}"]
    lines = ["image:", f"  url: {_yaml_scalar(image.url)}"]
    for key in ("alt", "caption", "credit"):
        if value := getattr(image, key):
            lines.append(f"  {key}: {_yaml_scalar(value)}")
    lines.extend(f"  {key}: {getattr(image, key)}" for key in ("width", "height") if getattr(image, key))
    return lines


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
    if a.translated_from:
        fm.append(f"translated_from: {a.translated_from}")
    if a.translations:
        fm.append("translations:")
        fm.extend(f"  {t.language}: {_yaml_scalar(t.target)}" for t in a.translations)
    if a.image:
        fm.extend(_image_lines(a.image))
    if issue.articles:
        fm.append("articles:")
        fm.extend(_article_item(t) for t in issue.articles)
    fm.append("---")
    body: list[str] = []
    for s in a.sections:
        if s.heading:
            body.append(f"## {escape_markdown(s.heading)}")
        for b in s.blocks:
            if b.kind == "related" and b.related_index is not None:
                body.append(f"<!-- related: {b.related_index + 1} -->")
            elif b.is_embed:
                body.append(f"<!-- {b.kind}: {b.url} -->")
            else:
                md = _block_markdown(b)
                if not _reads_back(md, b):
                    # Markdown cannot say it (an inline image, unusual markup): the sanitized HTML can
                    md = _html_block(f"<p>{b.html}</p>" if b.kind == "paragraph" else b.html)
                if md.strip():
                    body.append(md)
    return "\n".join(fm) + "\n\n" + "\n\n".join(body) + "\n"


def _article_item(teaser: Teaser) -> str:
    """One item of a digest's `articles:`: the issue file it names, else the article inline."""
    if teaser.source:
        return f"  - {_yaml_scalar(teaser.source)}"
    lines = [f"  - title: {_yaml_scalar(teaser.title)}", f"    url: {_yaml_scalar(teaser.url)}"]
    if teaser.summary:
        lines.append(f"    summary: {_yaml_scalar(teaser.summary)}")
    if teaser.date:
        lines.append(f"    date: {teaser.date.isoformat()}")
    if teaser.language:
        lines.append(f"    language: {teaser.language}")
    if teaser.image:
        lines.extend(f"    {line}" for line in _image_lines(teaser.image))
    return "\n".join(lines)


def html_paragraph(text: str) -> Block:
    """A paragraph block from plain text (the text-dump reader's unit)."""
    return Block("paragraph", escape(text, quote=False), text)
