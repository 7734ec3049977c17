"""Text dumps through `newsletter import`: any bytes give an issue file whose outputs are valid,
or one NewsletterError line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.sources.importer import import_article
from newsletter.sources.markdown import read_issue

from .checks import DATE, assert_outputs_valid, one_line_error
from .strategies import WORDS, encoded, hostile_text

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "newsletter.toml")

# A dump as it is pasted: paragraphs, then the title on the last line.
_dump = st.lists(st.one_of(hostile_text(12), st.sampled_from(WORDS)), min_size=1, max_size=12).map("\n".join)


@pytest.mark.fuzz
@given(encoded(st.one_of(_dump, hostile_text())))
@example(b"Erster Absatz mit Text.\nZweiter Absatz.\nDer Titel")
@example(b"\xef\xbb\xbfTitel\n\nAbsatz \xe2\x80\xae gedreht.")
@example(b"Titel\n\nF\xfcr die Leser, \x93zitiert\x94.")
@example(b"Titel\n\nLone \xed\xa0\x80 surrogate.")
def test_any_text_dump_imports_to_a_valid_issue_or_one_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "dump.txt"
        source.write_bytes(data)
        try:
            written = import_article(str(source), config=CONFIG, date=DATE, out_dir=Path(tmp) / "issues")
        except NewsletterError as e:
            event("refused: " + one_line_error(e).split(": ", 1)[-1][:40])
            return
        issue = read_issue(written)
    event("imported")
    assert_outputs_valid(CONFIG, issue)
