"""cp1252, Latin-1, BOM-prefixed files and mojibake: read as the writer meant them."""

from __future__ import annotations

from pathlib import Path

from newsletter.sources.decode import repair_mojibake
from newsletter.sources.markdown import read_issue

from .support import HOSTILE, body_text, imported


def test_a_cp1252_dump_reads_with_its_quotes_dashes_and_euro(tmp_path: Path) -> None:
    article = imported("cp1252-dump.txt", tmp_path).article
    assert article.title == "Für alle Leser"
    assert "„Grüße aus München“, sagte sie – und zahlte 5 €." in body_text(article)


def test_bytes_cp1252_leaves_undefined_are_dropped(tmp_path: Path) -> None:
    article = imported("latin1-undefined-bytes.txt", tmp_path).article
    text = body_text(article)
    assert "Bytes cp1252 leaves undefined: are dropped; café stays." in text
    assert not any(0x80 <= ord(c) <= 0x9F for c in text)


def test_a_bom_is_not_part_of_the_front_matter() -> None:
    issue = read_issue(HOSTILE / "2025-11-20-bom-prefixed.md")
    assert issue.article.title == "BOM-prefixed issue"
    assert body_text(issue.article) == "Grüße aus dem BOM-Land."


def test_mojibake_is_read_as_meant(tmp_path: Path) -> None:
    article = imported("mojibake.txt", tmp_path).article
    assert article.title == "Für die Leser: été"
    assert "Die Straße ist “gesperrt”, hieß es." in body_text(article)


def test_text_that_only_looks_like_mojibake_is_kept() -> None:
    # Real text with an "Ã" next to a real "ü": no whole-text reading makes it UTF-8.
    assert repair_mojibake("FÃ¼r and für") == "FÃ¼r and für"
    assert repair_mojibake("Ãœber") == "Über"
