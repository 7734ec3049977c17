"""Control, zero-width and bidi characters and lone surrogates: dropped from imports, refused
with their line in an editor's issue file; visible text is kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.sources.markdown import read_issue

from .support import HOSTILE, body_text, imported

CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_control_characters_are_dropped_from_an_import(tmp_path: Path) -> None:
    article = imported("control-characters.txt", tmp_path).article
    text = body_text(article)
    assert not CONTROLS.search(text + article.title)
    for words in ("has a bell, an escape [31m sequence", "unit separator in it.", "tab from Word"):
        assert words in text, words
    assert article.title == "Control characters everywhere"


def test_a_control_character_in_an_issue_file_is_refused_with_its_line() -> None:
    with pytest.raises(NewsletterError, match=r"control-character-in-issue\.md:7: .*U\+001B"):
        read_issue(HOSTILE / "2025-11-20-control-character-in-issue.md")


def test_zero_width_spaces_go_joiners_that_shape_scripts_stay(tmp_path: Path) -> None:
    article = imported("zero-width-characters.txt", tmp_path).article
    text = body_text(article)
    assert article.title == "Zerowidthjoined title"
    assert "\u200b" not in text and "\u2060" not in text and "\ufeff" not in text
    assert "\u200c" in text and "\u200d" in text  # ZWNJ/ZWJ: Persian words and emoji need them


def test_bidi_overrides_are_dropped_from_titles_and_text(tmp_path: Path) -> None:
    article = imported("bidi-override-title.txt", tmp_path).article
    assert article.title == "Title evil.exe reversed"
    text = body_text(article)
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", text)
    assert "an override and an isolate" in text and "עברית" in text


def test_bidi_overrides_escaped_in_front_matter_are_dropped_too() -> None:
    issue = read_issue(HOSTILE / "2025-11-20-bidi-override-in-front-matter.md")
    assert issue.article.title == "Invoice gnp.exe"
    assert [p.name for p in issue.article.authors] == ["Eve evil"]


def test_a_lone_surrogate_is_dropped_from_an_import_and_the_utf8_kept(tmp_path: Path) -> None:
    text = body_text(imported("lone-surrogate.txt", tmp_path).article)
    assert "UTF-8 überall, with one lone surrogate in the middle." in text
    assert "\ufffd" not in text and "Ã" not in text  # not misread as cp1252 either


def test_a_lone_surrogate_in_an_issue_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "2025-11-20-surrogate.md"
    head = b'---\nid: "tag:example.org,2025:s"\ntitle: "S"\ndate: 2025-11-20T08:00:00Z\nlanguage: de\n---\n'
    path.write_bytes(head + "Gr\u00fc\u00dfe\n".encode() + (HOSTILE / "lone-surrogate.txt").read_bytes())
    with pytest.raises(NewsletterError, match=r"surrogate\.md:10: has an invalid UTF-8 sequence"):
        read_issue(path)
