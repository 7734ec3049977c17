"""Article pages: any page reads to a clean model whose outputs are valid, or one error."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.sources.html import read_html
from newsletter.sources.profiles import load_profiles

from .checks import (
    assert_outputs_valid,
    assert_round_trip,
    issue_from_draft,
    one_line_error,
    written_and_read,
)
from .strategies import XSS, hostile_text, line_text

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "newsletter.toml")
PROFILES = load_profiles()

_TAGS = [
    "p",
    "div",
    "span",
    "a",
    "b",
    "em",
    "h1",
    "h2",
    "h3",
    "ul",
    "li",
    "blockquote",
    "figure",
    "table",
    "td",
    "pre",
    "code",
    "section",
    "article",
    "img",
    "br",
    "svg",
    "form",
    "header",
]
_ATTRS = [
    "",
    ' class="entry-content"',
    ' class="share-buttons"',
    ' href="https://example.org/x"',
    ' href="/relative"',
    ' href="javascript:alert(1)"',
    ' src="https://example.org/i.jpg"',
    ' src="data:image/png;base64,AAAA"',
    ' onclick="alert(1)"',
    ' style="display:none"',
    ' style="background:url(javascript:alert(1))"',
    ' srcset="javascript:alert(1) 1x"',
    " hidden",
]


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, attr, inner: f"<{tag}{attr}>{inner}</{tag}>",
        st.sampled_from(_TAGS),
        st.sampled_from(_ATTRS),
        st.lists(children, max_size=4).map("".join),
    )


_body = st.recursive(st.one_of(hostile_text(6), st.sampled_from(XSS)), _element, max_leaves=25)


@st.composite
def page(draw: st.DrawFn) -> str:
    """A page with maybe a title, meta, JSON-LD and a canonical link around a random body."""
    head = []
    if draw(st.booleans()):
        head.append(f"<title>{draw(line_text(4))}</title>")
    if draw(st.booleans()):
        head.append(f'<meta property="og:title" content="{draw(line_text(4))}">')
    if draw(st.booleans()):
        canonical = draw(st.sampled_from(["https://example.org/a/", "javascript:x", "/x"]))
        head.append(f'<link rel="canonical" href="{canonical}">')
    if draw(st.booleans()):
        ld = {"@type": "Article", "headline": draw(line_text(4)), "author": {"name": draw(line_text(2))},
              "datePublished": draw(st.sampled_from(["2025-11-20T08:00:00+01:00", "2025", "x"]))}  # fmt: skip
        head.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    if draw(st.booleans()):
        head.append('<base href="https://evil.example/">')
    lang = draw(st.sampled_from(["de", "fr", "en", "x\u202e", ""]))
    body = draw(_body)
    if draw(st.booleans()):
        body = f"<article><h1>{draw(line_text(3))}</h1>{body}<p>{draw(hostile_text(10))}</p></article>"
    return f'<!doctype html><html lang="{lang}"><head>{"".join(head)}</head><body>{body}</body></html>'


@pytest.mark.fuzz
@given(page())
@example(
    '<html><head><title>T</title></head><body><article><p>Text <a href="javascript:alert(1)">x</a>'
    "<img src=x onerror=alert(1)></p></article></body></html>"
)
def test_any_page_reads_to_a_valid_issue_or_one_error(html: str) -> None:
    html = unicodedata.normalize("NFC", html)  # as decode_source gives every source its text
    try:
        draft = read_html(html, profiles=PROFILES, path="page.html")
    except NewsletterError as e:
        event("refused: " + one_line_error(e).split(": ", 1)[-1][:50])
        return
    event("read")
    issue = issue_from_draft(draft)
    assert_outputs_valid(CONFIG, issue, round_trip=False)
    # The first write canonicalizes (<b> becomes **…**, HTML-only markup stays HTML); from then on
    # the file reads back as itself.
    assert_round_trip(written_and_read(issue))
