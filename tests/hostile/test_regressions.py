"""Bugs the fuzzers found, each with the fixture that reproduced it (tests/data/hostile/)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from fuzz.checks import assert_outputs_valid, assert_round_trip

from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.outputs.email import render_email
from newsletter.outputs.message import compose_message, envelope_for
from newsletter.sources.markdown import read_issue

from .support import CONFIG, HOSTILE, body_html, body_text, imported


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("2025-11-20-javascript-source-url.md", "'source_url' must be an absolute http(s) URL"),
        ("2025-11-20-image-not-a-url.md", "'image' must be an absolute http(s) URL"),
    ],
)
def test_front_matter_urls_are_checked(fixture: str, message: str) -> None:
    with pytest.raises(NewsletterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_issue(HOSTILE / fixture)


def test_an_image_alt_without_an_image_reads_and_writes_back() -> None:
    # the older `image_alt:` key is the alt of an `image:` URL; alone it describes nothing
    issue = read_issue(HOSTILE / "2025-11-20-image-alt-without-image.md")
    assert assert_round_trip(issue).article.image is None


def test_sanitized_html_reads_back_as_the_same_blocks() -> None:
    issue = read_issue(HOSTILE / "2025-11-20-sanitized-html-reads-back.md")
    assert_outputs_valid(CONFIG, issue)  # round trip included
    text, html = body_text(issue.article), body_html(issue.article)
    assert "with inline script words." in text and "alert" not in text  # a script's words are not text
    assert "only a dead link" in text and "<a" not in html  # no <a> left without its href
    kinds = [b.kind for s in issue.article.sections for b in s.blocks]
    assert kinds == ["paragraph", "html", "html", "code"]  # what the sanitizer left is no <p>


def test_bidi_controls_written_as_entities_are_dropped() -> None:
    issue = read_issue(HOSTILE / "2025-11-20-bidi-entity-in-body.md")
    assert issue.article.headings == ("Reversed heading",)
    assert body_text(issue.article) == "A paragraph with an override as an entity and a zerowidth space."
    assert_outputs_valid(CONFIG, issue)


def test_a_non_ascii_site_title_makes_a_valid_sender() -> None:
    config = load_config(HOSTILE / "config-non-ascii-title.toml")
    issue = read_issue(HOSTILE / "2025-11-20-bom-prefixed.md")
    message = compose_message(
        envelope_for(config, issue),
        html="x",
        text="x",
        to_address="a@example.org",
        unsubscribe_url="https://x/u",
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.SMTP)
    (sender,) = parsed["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Zentralasien – ¡Novastan! <Newsletter>",
        "newsletter@example.org",
    )


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("config-empty-feed-id.toml", r"\[site\] feed_id: must be a URI"),
        (
            "config-noncharacter-title.toml",
            r"\[site\] title: contains a line break or control character \(U\+FFFE\)",
        ),
    ],
)
def test_a_config_that_would_break_the_feeds_is_refused(fixture: str, message: str) -> None:
    with pytest.raises(NewsletterError, match=message):
        load_config(HOSTILE / fixture)


def test_noncharacters_in_a_page_never_reach_the_email(tmp_path: Path) -> None:
    issue = imported("noncharacter-in-page.html", tmp_path)
    html = render_email(CONFIG.site, issue, CONFIG.templates_dir)
    assert "A cell with a noncharacter." in body_text(issue.article)
    assert "\ufffe" not in html and "\uffff" not in html


def test_json_ld_text_is_normalized_like_the_rest(tmp_path: Path) -> None:
    issue = imported("decomposed-author-json-ld.html", tmp_path)
    assert issue.article.title == "Caf\u00e9 society"
    assert [p.name for p in issue.article.authors] == ["Jos\u00e9 Mart\u00ed"]


def test_a_reply_to_that_is_no_address_is_refused_not_folded_into_the_body() -> None:
    # CPython folded it mid-word; the continuation line lacked its space and ended the headers.
    config = load_config(HOSTILE / "config-reply-to-not-an-address.toml")
    issue = read_issue(HOSTILE / "2025-11-20-bom-prefixed.md")
    with pytest.raises(NewsletterError, match=r"the reply-to address .* is not an address like"):
        compose_message(
            envelope_for(config, issue),
            html="x",
            text="x",
            to_address="a@example.org",
            unsubscribe_url="https://x/u",
        )
