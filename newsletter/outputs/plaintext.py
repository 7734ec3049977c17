"""The plain-text part of the issue email, built from the model (never from the HTML email).

Readers of the text part get the same issue: headings underlined, paragraphs wrapped at 72
columns, every link as a numbered reference ("… Astana Times [1]" and, below the article,
"[1] https://…"), the related articles, the call to action with its URL and the footer.
URLs are never broken by wrapping; only a line that would pass the 998-octet limit of RFC 5322
is folded, and an over-long URL is then written in angle brackets as RFC 3986 (appendix C)
suggests, so a reader knows to join it.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..defaults import UNSUBSCRIBE_PLACEHOLDER
from ..html_tree import LINKABLE, Element, html_tree
from ..model import Block, Issue, Person, Site
from .content import (
    body_sections,
    embed_label,
    lead_paragraph,
    original_link,
    related_heading,
    teaser_views,
    translation_links,
)
from .email import social_label
from .labels import Labels, labels_for

WIDTH = 72
#: RFC 5322 section 2.1.1: a line is at most 998 octets without its CRLF.
MAX_LINE_OCTETS = 998
RULE = "-" * WIDTH

_SPACES = re.compile(r"[ \t\r\f\v\n]+")  # not \xa0: a no-break space stays unbroken
# Joins "label [n]" while wrapping, so a reference number never starts a line on its own.
GLUE = "\x00"
# Whitespace other than the ASCII space (str.isspace): textwrap drops it at line ends.
_OTHER_SPACE = re.compile(r"[^\S ]")
_BLOCK_TAGS = {"p", "ul", "ol", "blockquote", "pre", "table", "h2", "h3", "h4", "hr", "figure", "figcaption"}


class References:
    """Numbered link references; the same URL keeps its first number."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def number(self, url: str) -> int:
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url) + 1

    def lines(self) -> list[str]:
        out = []
        for n, url in enumerate(self.urls, 1):
            line = f"[{n}] {url}"
            if _octets(line) > MAX_LINE_OCTETS:
                line = f"[{n}] <{url}>"  # RFC 3986 appendix C: whitespace inside <…> is ignored
            out.append(line)
        return out


def _octets(text: str) -> int:
    return len(text.encode("utf-8"))


def _squash(text: str) -> str:
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:
        return _SPACES.sub(" ", text).strip()
    return text.strip()  # nothing for _SPACES to fold


def wrap(text: str, initial: str = "", subsequent: str = "") -> list[str]:
    """`text` wrapped at WIDTH; "\\n" in it is a hard line break. Words and URLs stay whole."""
    lines: list[str] = []
    for part in text.split("\n"):
        words = _squash(part)
        if not words:
            continue
        lines.extend(_wrap_words(words, subsequent if lines else initial, subsequent))
    return lines


def _wrap_words(text: str, initial: str, subsequent: str) -> list[str]:
    """textwrap.wrap(text, WIDTH, break_long_words=False, break_on_hyphens=False) for text whose
    only ASCII whitespace is single spaces (as `_squash` leaves it), without its regexes."""
    if len(initial) + len(text) <= WIDTH:
        return [initial + text]
    first, rest = WIDTH - len(initial), WIDTH - len(subsequent)
    if _OTHER_SPACE.search(text) or min(first, rest) < 1:  # a lone U+00A0 is whitespace to textwrap
        return _wrap_chunks(text.split(" "), initial, subsequent)
    lines: list[str] = []
    width, indent, pos, end = first, initial, 0, len(text)
    while pos < end:
        if end - pos <= width:  # the rest fits
            lines.append(indent + text[pos:])
            break
        cut = text.rfind(" ", pos + 1, pos + width + 1)  # the last space that ends a line that fits
        if cut < 0:  # a word longer than the line: alone, unbroken
            cut = text.find(" ", pos)
            if cut < 0:
                lines.append(indent + text[pos:])
                break
        lines.append(indent + text[pos:cut])
        pos = cut + 1
        width, indent = rest, subsequent
    return lines


def _wrap_chunks(words: list[str], initial: str, subsequent: str) -> list[str]:
    """textwrap's own loop, for text with words that are whitespace to it (a lone U+00A0)."""
    chunks: list[str] = []
    for word in words:
        if chunks:
            chunks.append(" ")
        if word:
            chunks.append(word)
    chunks.reverse()
    lines: list[str] = []
    while chunks:
        line: list[str] = []
        size = 0
        indent = subsequent if lines else initial
        width = WIDTH - len(indent)
        if lines and not chunks[-1].strip():
            del chunks[-1]  # whitespace that would start a line (not the first) is dropped
        while chunks:
            n = len(chunks[-1])
            if size + n > width:
                break
            line.append(chunks.pop())
            size += n
        if chunks and len(chunks[-1]) > width and not line:
            line.append(chunks.pop())  # a word longer than the line stands alone, unbroken
        if line and not line[-1].strip():
            del line[-1]
        if line:
            lines.append(indent + "".join(line))
    return lines


def heading(text: str, underline: str) -> str:
    lines = wrap(text)
    return "\n".join([*lines, underline * min(WIDTH, max((len(x) for x in lines), default=0))])


# --- inline and block HTML of the model, as text ----------------------------------------------


def inline_text(node: Element | str, refs: References) -> str:
    """Inline HTML as text: links get a reference number, <br> a line break, images their alt."""
    if isinstance(node, str):
        return str(node)
    name = node.name
    if name == "br":
        return "\n"
    if name == "img":
        alt = _squash(str(node.get("alt") or ""))
        return f"[{alt}]" if alt else ""
    inner = "".join(inline_text(c, refs) for c in node.children)
    if name == "a":
        href = str(node.get("href") or "")
        if not href.startswith(LINKABLE):
            return inner
        label = _squash(inner)
        if not label:
            return f"[{refs.number(href)}]"
        if label in (href, href.removeprefix("mailto:")):  # the URL is its own label
            shown = href.removeprefix("mailto:")
            return f"<{shown}>" if _octets(shown) > MAX_LINE_OCTETS - 2 else shown
        return f"{inner}{GLUE}[{refs.number(href)}]"
    return inner


def _list_lines(lst: Element, refs: References, indent: str) -> list[str]:
    lines: list[str] = []
    start_attr = str(lst.get("start") or "1")
    start = int(start_attr) if start_attr.isdigit() else 1
    items = [li for li in lst.children if isinstance(li, Element) and li.name == "li"]
    for n, li in enumerate(items, start):
        marker = f"{n}. " if lst.name == "ol" else "- "
        nested = [c for c in li.children if isinstance(c, Element) and c.name in ("ul", "ol")]
        text = "".join(inline_text(c, refs) for c in li.children if all(c is not n for n in nested))
        lines.extend(wrap(text, indent + marker, indent + " " * len(marker)))
        for sub in nested:
            lines.extend(_list_lines(sub, refs, indent + " " * len(marker)))
    return lines


def block_texts(node: Element, refs: References) -> list[str]:
    """Block HTML (lists, quotes, tables, code …) as text paragraphs."""
    out: list[str] = []
    loose: list[str] = []

    def flush() -> None:
        text = "".join(loose)
        loose.clear()
        if text.strip():
            out.append("\n".join(wrap(text)))

    for child in node.children:
        if isinstance(child, Element) and child.name in _BLOCK_TAGS:
            flush()
            name = child.name
            if name in ("ul", "ol"):
                out.append("\n".join(_list_lines(child, refs, "")))
            elif name == "blockquote":
                inner = "\n\n".join(block_texts(child, refs))
                out.append("\n".join(f"> {line}" if line else ">" for line in inner.split("\n")))
            elif name == "pre":
                out.append(child.get_text().rstrip("\n"))
            elif name == "table":
                rows = [
                    " | ".join(_squash(inline_text(c, refs)) for c in tr.find_all(("th", "td")))
                    for tr in child.find_all(("tr",))
                ]
                out.append("\n".join(r for r in rows if r.strip()))
            elif name in ("h2", "h3", "h4"):
                out.append(heading(inline_text(child, refs), "-" if name == "h2" else "~"))
            elif name == "hr":
                out.append("* * *")
            elif name == "figure":
                out.extend(block_texts(child, refs))
            else:  # p, figcaption
                text = inline_text(child, refs)
                if text.strip():
                    out.append("\n".join(wrap(text)))
        else:
            loose.append(inline_text(child, refs))
    flush()
    return [t for t in out if t.strip()]


def _block(block: Block, issue: Issue, lead_in: str, refs: References) -> list[str]:
    if block.kind == "related":
        related = issue.article.related
        if block.related_index is None or not 0 <= block.related_index < len(related):
            return []
        link = related[block.related_index]
        suffix = f"{GLUE}[{refs.number(link.url)}]" if link.url else ""
        return ["\n".join(wrap(f"{lead_in} {link.title}{suffix}"))]
    if not block.html:
        return ["\n".join(wrap(block.text))] if block.text.strip() else []
    if block.kind == "paragraph":
        html = block.html  # plain text (no tag, no reference; most paragraphs) reads as itself
        text = html if "<" not in html and "&" not in html else inline_text(html_tree(html), refs)
        return ["\n".join(wrap(text))] if text.strip() else []
    soup = html_tree(block.html)
    if block.kind == "code":
        return [block.text.rstrip("\n")] if block.text.strip() else block_texts(soup, refs)
    return block_texts(soup, refs)


# --- the whole part -----------------------------------------------------------------------------


def _names(people: tuple[Person, ...]) -> str:
    return ", ".join(p.name for p in people)


def fold_long_lines(text: str, limit: int = MAX_LINE_OCTETS) -> str:
    """Split any line longer than `limit` octets (UTF-8) at character boundaries."""
    return "\n".join(_fold_lines(text.split("\n"), limit))


def _fold_lines(lines: list[str], limit: int = MAX_LINE_OCTETS) -> list[str]:
    if all(len(line) * 4 <= limit for line in lines):  # no character is over 4 octets
        return lines
    out: list[str] = []
    for line in lines:
        while len(line) * 4 > limit and _octets(line) > limit:  # no character is over 4 octets
            cut = len(line.encode("utf-8")[:limit].decode("utf-8", "ignore"))
            space = line.rfind(" ", 0, cut)
            if space > cut // 2:  # prefer a word boundary in the back half
                cut = space
            out.append(line[:cut].rstrip())
            line = line[cut:].lstrip(" ")
        out.append(line)
    return out


def _footer(site: Site, issue: Issue, labels: Labels) -> list[str]:
    colon = labels["colon"]
    parts: list[str] = []
    if site.social:
        parts.append(
            "\n".join(
                [f"{labels['follow_us']}{colon}"]
                + [f"- {social_label(s.name, labels)}{colon} {s.url}" for s in site.social]
            )
        )
    parts.append(f"{labels['view_in_browser']}{colon}\n{site.issue_url(issue)}")
    parts.append(
        "\n".join(wrap(labels["unsubscribe_reason"]))
        + f"\n{labels['unsubscribe']}{colon}\n{UNSUBSCRIBE_PLACEHOLDER}"
    )
    if site.imprint:
        parts.append("\n".join(wrap(site.imprint)))
    return parts


def render_text(site: Site, issue: Issue, templates_dir: Path) -> str:
    """The text/plain part of `issue`, with UNSUBSCRIBE_PLACEHOLDER for each reader's URL."""
    site = site.for_edition(issue.language)
    labels = labels_for(templates_dir, issue.language)
    article = issue.article
    refs = References()
    prefix = related_heading(site, issue, labels)
    parts: list[str] = [f"{site.masthead or site.title}\n{labels['issue_of']} {labels.date(issue.date)}"]
    parts.append(heading(article.title, "="))

    lead = lead_paragraph(issue)
    standfirst = inline_text(html_tree(lead.html), refs) if lead else article.summary
    if standfirst.strip():
        parts.append("\n".join(wrap(standfirst)))
    credits = []
    if article.authors:
        credits.extend(wrap(f"{labels['by']} {_names(article.authors)}"))
    if article.translators:
        translated_by = labels.translated_by(article.translated_from)
        credits.extend(wrap(f"{translated_by} {_names(article.translators)}"))
    if credits:
        parts.append("\n".join(credits))
    for t in translation_links(site, issue, labels):
        parts.append(f"{t.text}{labels['colon']}\n{t.url}")

    for section in body_sections(issue):
        if section.heading:
            parts.append(heading(section.heading, "-"))
        for block in section.blocks:
            if block.is_embed and block.url:  # "Watch the video [3]" (url: for the type checker)
                label = embed_label(block, labels)
                parts.append("\n".join(wrap(f"{label}{GLUE}[{refs.number(block.url)}]")))
            elif block.image is None or block.image.shown:  # a figure: [alt], then its caption
                parts.extend(_block(block, issue, prefix + labels["colon"], refs))
    for teaser in teaser_views(site, issue, labels):  # a digest's articles: title, standfirst, URL
        summary = wrap(teaser.summary) if teaser.summary else []
        parts.append("\n".join([heading(teaser.title, "-"), *summary, teaser.url]))
    original = original_link(issue, labels)
    if original:
        parts.append(f"{original.text}{labels['colon']}\n{original.url}")

    if article.related:
        items = []
        for link in article.related:
            suffix = f"{GLUE}[{refs.number(link.url)}]" if link.url else ""
            items.extend(wrap(f"{link.title}{suffix}", "- ", "  "))
        parts.append(heading(prefix, "-") + "\n" + "\n".join(items))
    if refs.urls:
        parts.append(heading(labels["references"], "-") + "\n" + "\n".join(refs.lines()))

    cta = site.edition(issue.language).call_to_action
    if cta:
        parts.append(RULE)
        parts.append(heading(cta.title, "-") + "\n" + "\n".join(wrap(cta.text)))
        parts.append(f"{cta.button}{labels['colon']}\n{cta.url}")
    parts.append(RULE)
    parts.extend(_footer(site, issue, labels))
    text = "\n\n".join(p.rstrip() for p in parts if p.strip())
    lines = [line.rstrip() for line in text.replace(GLUE, " ").split("\n")]
    return "\n".join(_fold_lines(lines)) + "\n"
