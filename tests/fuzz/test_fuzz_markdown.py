"""Issue files (YAML front matter + Markdown): any file reads as a valid issue or one error."""

from __future__ import annotations

import json
import tempfile
from functools import partial
from pathlib import Path

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.sources.markdown import read_issue

from .checks import assert_outputs_valid, one_line_error
from .strategies import encoded, hostile_text, line_text

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "newsletter.toml")

_URLS = [
    "https://example.org/a",
    "http://example.org/b?x=1&y=2",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/x",
    "/relative",
    "https://example.org/\u202e",
    "https://example.org/a b",
]
_DATES = [
    "2025-11-20T08:00:00+01:00",
    "2025-11-20T08:00:00Z",
    "2025-11-20",
    "2025-11-20T08:00:00",
    "gestern",
    "",
]


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    """YAML front matter: in four of five files the required fields are right and every value
    has its type (with hostile text); in the fifth anything goes."""
    hostile = draw(st.integers(0, 4)) == 0
    text = partial(line_text, controls=hostile)
    url = st.one_of(st.sampled_from(_URLS), text(3)) if hostile else st.sampled_from(_URLS[:2])
    scalar = st.one_of(text(4), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
    value = st.one_of(scalar, st.lists(scalar, max_size=3), st.dictionaries(text(2), scalar, max_size=2))
    people = st.one_of(
        st.lists(text(3), max_size=3),
        st.lists(st.fixed_dictionaries({"name": text(3)}, optional={"url": url}), max_size=2),
    )
    fields = {
        "id": draw(text(3)) if hostile else "tag:example.org,2025-11-20:fuzz",
        "title": draw(text(6)),
        "date": draw(st.sampled_from(_DATES)) if hostile else "2025-11-20T08:00:00+01:00",
        "language": draw(st.sampled_from(["de", "fr", "en", "ar", "pt-BR", "", "x\u202e", "de\nX-Evil: 1"]))
        if hostile
        else draw(st.sampled_from(["de", "fr", "en", "ar", "pt-BR"])),
    }
    optional = {
        "authors": people,
        "translators": people,
        "summary": text(8),
        "preheader": text(6),
        "tags": st.lists(text(2), max_size=3),
        "related": st.lists(st.fixed_dictionaries({"title": text(4)}, optional={"url": url}), max_size=3),
        "source_url": url,
        "image": st.one_of(
            url,
            st.fixed_dictionaries(
                {"url": url},
                optional={"alt": text(3), "caption": text(3), "width": st.integers(-2, 4000)},
            ),
        ),
        "image_alt": text(3),
        "updated": st.sampled_from(_DATES) if hostile else st.just("2025-11-21T09:00:00+01:00"),
        "slug": st.sampled_from(["../../x", "/etc/passwd", "a/b", "ok-slug", "fuzz"]),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            fields[key] = draw(value if hostile and draw(st.booleans()) else strategy)
    if hostile and draw(st.booleans()):
        del fields[draw(st.sampled_from(sorted(fields)))]  # a required field is missing
    # JSON is YAML (but for its surrogate-pair escapes: those only in hostile files).
    lines = [f"{k}: {json.dumps(v, ensure_ascii=hostile)}" for k, v in fields.items()]
    if hostile and draw(st.booleans()):
        lines.append(draw(hostile_text(6)))  # raw, likely broken YAML
    return "---\n" + "\n".join(lines) + "\n---\n"


@pytest.mark.fuzz
@given(
    encoded(
        st.builds(
            lambda fm, body: fm + body,
            front_matter(),
            st.one_of(*[hostile_text(60, controls=False)] * 4, hostile_text(60)),
        )
    )
)
@example(
    b'---\nid: "tag:example.org,2025:x"\ntitle: "T"\ndate: 2025-11-20T08:00:00+01:00\nlanguage: de\n'
    b'source_url: "javascript:alert(1)"\n---\nText.\n'
)
@example(
    b'---\nid: "tag:example.org,2025:x"\ntitle: "T"\ndate: 2025-11-20T08:00:00+01:00\nlanguage: de\n'
    b"image: [1, 2]\n---\nText.\n"
)
def test_any_issue_file_reads_to_a_valid_issue_or_one_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2025-11-20-fuzz.md"
        path.write_bytes(data)
        try:
            issue = read_issue(path)
        except NewsletterError as e:
            event("refused: " + one_line_error(e).split(": ", 1)[-1][:60])
            return
    event("read")
    assert_outputs_valid(CONFIG, issue)
