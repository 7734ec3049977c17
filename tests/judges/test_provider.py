"""Gmail/Yahoo bulk-sender rules and the limits that break rendering, one fixture per rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.defaults import for_delivery
from newsletter.judges.provider import (
    TOKEN_LENGTH,
    judge_html,
    judge_message,
    personalized,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "judges"
URL = "https://example.org/unsubscribe/" + "T" * TOKEN_LENGTH


def html_problems(name: str, max_bytes: int = 102_000) -> list[str]:
    path = DATA / "provider" / name
    verdict = judge_html(path, path.read_text(encoding="utf-8"), unsubscribe_url=URL, max_bytes=max_bytes)
    assert all(p.path == str(path) for p in verdict.problems)
    return [p.message for p in verdict.problems]


def test_a_valid_email_has_no_problems() -> None:
    assert html_problems("minimal-valid.html") == []


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("preheader-missing.html", "no preheader"),
        ("preheader-empty.html", "the preheader is empty: the summary is the first paragraph"),
        ("preheader-copies-first-line.html", "the preheader repeats the opening line 'Spring in the valley'"),
        ("remote-stylesheet.html", "remote stylesheet 'https://example.org/mail.css'"),
        ("css-import.html", "@import in the styles"),
        ("remote-font.html", "remote font (@font-face"),
        ("http-link.html", "link 'http://example.org/valley' is not an absolute https URL"),
        ("relative-link.html", "link '/valley' is not an absolute https URL"),
        ("no-outlook-conditionals.html", "no Outlook conditional comments"),
        ("unsubscribe-missing.html", "no unsubscribe link"),
        ("unsubscribe-hidden.html", "the unsubscribe link is hidden"),
        ("unsubscribe-not-in-footer.html", "the unsubscribe link is not in the footer"),
    ],
)
def test_each_broken_rule_is_one_problem(fixture: str, expected: str) -> None:
    problems = html_problems(fixture)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


def test_size_is_measured_after_personalization() -> None:
    path = DATA / "provider" / "unsubscribe-links-grow-when-personalized.html"
    html = path.read_text(encoding="utf-8")
    raw, sent = len(html.encode()), len(personalized(html, URL).encode())
    assert URL.endswith("T" * TOKEN_LENGTH) and sent > raw
    # under the limit as built, over it once each of the 20 links carries a recipient's URL
    problems = html_problems(path.name, max_bytes=raw + 1)
    assert problems == [
        f"{sent:,} bytes with a recipient's unsubscribe link; "
        f"Gmail clips emails over {raw + 1:,}: shorten the issue"
    ]
    assert html_problems(path.name, max_bytes=sent) == []


def test_the_built_sample_passes(sample_root: Path, sample_folder: Path) -> None:
    html = for_delivery(
        load_config(sample_root), (sample_folder / "email.html").read_text("utf-8"), html=True
    )
    verdict = judge_html(sample_folder / "email.html", html, unsubscribe_url=URL, max_bytes=102_000)
    assert verdict.problems == []
    assert verdict.sizes["email_html"] < verdict.sizes["email_html_personalized"] < 102_000


def message_verdict(name: str, length: int = 78) -> tuple[list[str], list[str], str]:
    path = DATA / "messages" / name
    verdict = judge_message(path, path.read_bytes(), subject_warn_length=length)
    return [p.message for p in verdict.problems], [w.message for w in verdict.warnings], verdict.subject


def test_a_valid_message_has_no_problems() -> None:
    assert message_verdict("valid.eml") == ([], [], "Spring in the valley")


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "no-list-unsubscribe-post.eml",
            "no List-Unsubscribe-Post: List-Unsubscribe=One-Click header (Gmail/Yahoo require it)",
        ),
        ("html-only.eml", "not multipart/alternative with a text and an HTML part"),
    ],
)
def test_message_problems(fixture: str, expected: str) -> None:
    problems, warnings, _ = message_verdict(fixture)
    assert problems == [expected] and warnings == []


def test_no_list_unsubscribe_at_all() -> None:
    problems, _, _ = message_verdict("no-list-unsubscribe.eml")
    assert [p.split(";")[0] for p in problems] == [
        "no https List-Unsubscribe header",
        "no List-Unsubscribe-Post: List-Unsubscribe=One-Click header (Gmail/Yahoo require it)",
    ]


def test_a_subject_of_78_characters_is_a_warning_not_a_problem() -> None:
    problems, warnings, subject = message_verdict("subject-78-characters.eml")
    assert len(subject) == 78 and problems == []
    assert warnings == ["the subject is 78 characters; inboxes cut it near 78: shorten the title"]
    assert message_verdict("subject-77-characters.eml")[1] == []
    assert message_verdict("subject-77-characters.eml", length=60)[1] != []


def test_the_built_sample_message_passes(sample_folder: Path, sample_message: bytes) -> None:
    verdict = judge_message(sample_folder, sample_message, subject_warn_length=78)
    assert verdict.problems == []
