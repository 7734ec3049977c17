"""XSS vectors in an imported page: the words stay, everything active goes (tests/data/hostile/xss-*)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz.checks import assert_outputs_valid

from newsletter.sources.markdown import read_issue

from .support import CONFIG, HOSTILE, body_html, body_text, imported

ALWAYS_KEPT = ("The first paragraph stays", "The last paragraph stays too")


@pytest.mark.parametrize(
    ("fixture", "kept", "removed"),
    [
        ("xss-script-tag.html", ["Before after."], ["<script", "alert", "document.cookie", "noscript text"]),
        (
            "xss-event-handlers.html",
            ["Clickable paragraph.", 'src="https://example.org/photo.jpg"', 'href="https://example.org/ok"'],
            ["onclick", "onmouseover", "onerror", "onload", "onfocus", "alert"],
        ),
        (
            "xss-javascript-urls.html",
            [
                "plain js",
                "mixed case",
                "tab inside",
                "entity",
                "leading space",
                "vbscript",
                "https://example.org/real",
            ],
            ["javascript", "JaVaScRiPt", "vbscript:", "alert", "msgbox"],
        ),
        (
            "xss-data-urls.html",
            ["data link and text", 'alt="real image"'],
            ["data:", "base64", 'alt="data image"'],
        ),
        (
            "xss-svg-script.html",
            ["Text after the SVG", "stays."],
            ["<svg", "svg text", "alert", "xlink", "inner"],
        ),
        (
            "xss-base-href.html",
            [
                'href="https://magazine.example/relative/page"',
                'src="https://magazine.example/relative/image.jpg"',
            ],
            ["evil.example", "<base"],
        ),
        (
            "xss-css-expression.html",
            ["Styled paragraph.", "Overlay text."],
            ["style", "expression", "javascript", "position:fixed"],
        ),
        (
            "xss-srcset.html",
            ['src="https://example.org/small.jpg"', 'src="https://example.org/picture.jpg"'],
            ["srcset=", "javascript", "evil.example", "sizes=", "<source"],
        ),
        (
            "xss-meta-refresh.html",
            ["Body text after a meta refresh."],
            ["http-equiv", "<meta", "evil.example"],
        ),
        (  # a form is page furniture: it goes with everything in it
            "xss-form-input.html",
            [],
            [
                "<form",
                "<input",
                "<button",
                "<textarea",
                "<select",
                "evil.example",
                "javascript",
                "Form intro",
            ],
        ),
        (
            "xss-object-embed.html",
            [],
            ["<object", "<embed", "<iframe", "<applet", "evil.example", "swf", "srcdoc", "applet text"],
        ),
    ],
)
def test_xss_page_keeps_the_words_and_drops_what_is_active(
    fixture: str, kept: list[str], removed: list[str], tmp_path: Path
) -> None:
    article = imported(fixture, tmp_path).article
    everything = body_html(article) + "\n" + body_text(article)
    for words in (*ALWAYS_KEPT, *kept):
        assert words in everything, words
    for bad in removed:
        assert bad not in everything, bad


def test_xss_in_an_issue_file_is_sanitized_on_reading() -> None:
    issue = read_issue(HOSTILE / "2025-11-20-xss-in-markdown.md")
    assert_outputs_valid(CONFIG, issue)
    html, text = body_html(issue.article), body_text(issue.article)
    for words in ("Kept paragraph", "a link", "an image", "Quoted words"):
        assert words in html + text, words
    for bad in (
        "<script",
        "alert(1)",
        "alert(2)",
        "onerror",
        'href="java',
        "data:",
        "<iframe",
        "style=",
        "<svg",
    ):
        assert bad not in html, bad
    # Markdown refuses a javascript: link target: it stays visible as the (escaped) text it is
    assert "[a link](javascript:alert(3))" in text
