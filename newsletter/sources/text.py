"""Text dumps (an article copied out of a web page) -> a Draft.

Two layouts occur: one paragraph per line with the title as the LAST line (what copying a
Novastan page gives), and paragraphs separated by blank lines with the title FIRST, followed
by a blank line. Site knowledge (related-link prefixes, bylines, the donation box, the
social-media footer) comes from the profile's `LanguageRules`, never from this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import NewsletterError
from ..model import Article, Block, Person, RelatedLink, Section
from .draft import Draft
from .markdown_writer import html_paragraph
from .profiles import (
    LanguageRules,
    byline_names,
    byline_role,
    related_title,
    split_names,
    strip_boilerplate,
    translator_names,
)

TITLE_MAX_CHARS = 200
TITLE_MAX_WORDS = 30
HEADING_MAX_CHARS = 120
HEADING_MAX_WORDS = 14
SUMMARY_MAX_CHARS = 300
# A title or heading never ends like a sentence or a quotation; "?" is allowed
# ("Ein geopolitischer Kurswechsel?"), and checked against the paragraph that follows.
_CLOSING = (".", ":", ";", ",", "…", "»", "«", "“", "”", '"', "„", "'", "’")
_SENTENCE_END = re.compile(r"[.!?…][\"'»“”’)]*(?=\s)")


@dataclass(frozen=True)
class _Line:
    text: str
    number: int  # 1-based line in the dump, for errors


def _fold(text: str) -> str:
    # spaces and tabs fold; no-break spaces stay (French puts them before ":" and "?")
    return re.sub(r"[ \t]+", " ", text).strip()


def _title_like(text: str) -> bool:
    return (
        0 < len(text) <= TITLE_MAX_CHARS
        and len(text.split()) <= TITLE_MAX_WORDS
        and not text.endswith(_CLOSING)
    )


def _split_title(lines: list[str], rules: LanguageRules, path: str) -> tuple[str, list[_Line]]:
    """(title, the body's lines).

    The title is the first line when a blank line follows it; else the last line (after any
    footer that the profile drops); else, if the last line is a credit or a sentence, a
    title-like first line.
    """
    numbered = [_Line(t, i + 1) for i, t in enumerate(lines)]
    filled = [ln for ln in numbered if ln.text.strip()]
    first = filled[0]
    first_text = _fold(first.text)
    after_first = numbered[first.number] if first.number < len(numbered) else None
    first_ok = _title_like(first_text) and not _credit_or_link(first_text, rules)
    if first_ok and after_first is not None and not after_first.text.strip():
        return first_text, [ln for ln in numbered if ln.number != first.number]
    tail = list(filled)
    while len(tail) > 1 and not strip_boilerplate(tail[-1].text, rules):
        tail.pop()  # a footer line after the title
    last = tail[-1]
    text = _fold(last.text)
    if (
        _title_like(text)
        and not _credit_or_link(text, rules)
        and (len(filled) > 1 or len(text) <= HEADING_MAX_CHARS)
    ):
        return text, [ln for ln in numbered if ln.number != last.number]
    if first_ok and len(filled) > 1:
        return first_text, [ln for ln in numbered if ln.number != first.number]
    raise NewsletterError(
        "no title found; put the title on the first line followed by a blank line, or on the last line",
        path=path,
        line=last.number,
    )


def _credit_or_link(line: str, rules: LanguageRules) -> bool:
    return bool(
        related_title(line, rules)
        or byline_names(line, rules)
        or byline_role(line, rules)
        or translator_names(line, rules)
    )


def _ends_sentence(line: str) -> bool:
    return line.rstrip().endswith((".", "!", "?", "…", ":", ";", "»", "«", "“", "”", '"', "’", ")"))


def _blank_separated(blocks: list[list[str]]) -> bool:
    """Paragraphs separated by blank lines (maybe hard-wrapped), not one paragraph per line.

    A one-per-line dump with a stray blank line has few blocks of many lines, nearly all
    ending a sentence; a hard-wrapped dump has lines that stop mid-sentence.
    """
    lines = sum(len(b) for b in blocks)
    if len(blocks) >= 3 and len(blocks) * 2 >= lines:
        return True
    inner = [line for b in blocks for line in b[:-1]]
    return len(blocks) >= 2 and bool(inner) and sum(not _ends_sentence(x) for x in inner) * 2 > len(inner)


def _units(body: list[_Line], rules: LanguageRules) -> list[str]:
    """The body's units (paragraphs, headings, credits) after the boilerplate is cut out.

    With blank lines between paragraphs, the lines of one block are one paragraph (a
    hard-wrapped dump), except related links, credits and a heading-like first line;
    without, every line is one.
    """
    raw = "\n".join(ln.text for ln in body)
    split = re.compile(r"\n[^\S\n]*\n")
    blank_separated = _blank_separated(
        [[x for x in b.split("\n") if x.strip()] for b in split.split(raw.strip()) if b.strip()]
    )
    units: list[str] = []
    for block in split.split(strip_boilerplate(raw, rules)):
        lines = [_fold(x) for x in block.split("\n") if x.strip()]
        if not blank_separated:
            units.extend(lines)
            continue
        if len(lines) > 1 and _heading_like(lines[0], " ".join(lines[1:])):
            units.append(lines.pop(0))
        run: list[str] = []
        for line in lines:
            if _credit_or_link(line, rules):
                if run:
                    units.append(" ".join(run))
                    run = []
                units.append(line)
            else:
                run.append(line)
        if run:
            units.append(" ".join(run))
    return units


def _heading_like(text: str, following: str | None) -> bool:
    """A short line without sentence-final punctuation, followed by a longer paragraph."""
    if not (0 < len(text) <= HEADING_MAX_CHARS and len(text.split()) <= HEADING_MAX_WORDS):
        return False
    if text.endswith((*_CLOSING, "!", ")", "]")) or _SENTENCE_END.search(text):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if following is None or len(following) < max(2 * len(text), 120):
        return False
    return following.rstrip().endswith((".", "!", "?", "…", "»", "“", "”", '"', ")"))


def summarize(text: str) -> str:
    """The first paragraph, cut at the last sentence end within SUMMARY_MAX_CHARS."""
    if len(text) <= SUMMARY_MAX_CHARS:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= SUMMARY_MAX_CHARS]
    if ends:
        return text[: ends[-1]].strip()
    cut = text[: SUMMARY_MAX_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–—-") + "…"


def read_text(text: str, *, rules: LanguageRules, profile_name: str, path: str) -> Draft:
    """A text dump -> a Draft: title, sections with headings, credits and related links.

    Every body paragraph is kept, the first one included; the profile's boilerplate and
    footer are dropped. Raises NewsletterError (naming `path`) for an empty dump, a dump
    without a recognizable title, and one with a title but no body.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(line.strip() for line in lines):
        raise NewsletterError("is empty; give the article's text with its title", path=path)
    title, body = _split_title(lines, rules, path)
    units = _units(body, rules)

    sections: list[Section] = []
    heading: str | None = None
    blocks: list[Block] = []
    related: list[RelatedLink] = []
    authors: list[str] = []
    translators: list[str] = []
    paragraphs = 0
    for i, unit in enumerate(units):
        following = units[i + 1] if i + 1 < len(units) else None
        if (linked := related_title(unit, rules)) is not None:
            blocks.append(Block("related", related_index=len(related)))
            related.append(RelatedLink(_fold(linked)))
        elif names := byline_names(unit, rules):
            authors.extend(n for n in names if n not in authors)
        elif byline_role(unit, rules):
            # "Redakteurin für Novastan": the name is the paragraph just before
            previous = blocks[-1].text if blocks and blocks[-1].kind == "paragraph" else ""
            names = split_names(previous, rules) if previous else None
            if names:
                blocks.pop()
                paragraphs -= 1
                authors.extend(n for n in names if n not in authors)
        elif names := translator_names(unit, rules):
            translators.extend(n for n in names if n not in translators)
        elif paragraphs > 0 and _heading_like(unit, following):
            if blocks or heading:
                sections.append(Section(heading, tuple(blocks)))
            heading, blocks = _fold(unit), []
        else:
            blocks.append(html_paragraph(unit))
            paragraphs += 1
    if blocks or heading:
        sections.append(Section(heading, tuple(blocks)))
    if paragraphs == 0:
        raise NewsletterError(
            f"has a title ({title[:60]!r}) but no body paragraphs; give the article's text", path=path
        )
    first = next(b.text for s in sections for b in s.blocks if b.kind == "paragraph")
    article = Article(
        title=_fold(title),
        summary=summarize(first),
        sections=tuple(sections),
        authors=tuple(Person(n) for n in authors),
        translators=tuple(Person(n) for n in translators),
        related=tuple(related),
    )
    return Draft(article=article, language=rules.language, date=None, profile=profile_name)
