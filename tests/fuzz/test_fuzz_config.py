"""newsletter.toml: any file gives a Config whose site makes valid feeds and messages, or one
NewsletterError line."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.sources.markdown import read_issue

from .checks import assert_email_valid, assert_feeds_valid, assert_message_headers, one_line_error
from .strategies import encoded, hostile_text, line_text

ROOT = Path(__file__).parents[2]
ISSUE = read_issue(ROOT / "tests" / "data" / "issues" / "2025-10-02-ouzbekistan-eau.md")

_KEYS = {
    "site": ["title", "base_url", "language", "feed_id", "subtitle", "author", "icon", "logo", "rights",
             "imprint", "feed_size", "subscribe_url", "unsubscribe_url"],
    "email": ["from", "reply_to", "list_id", "unsubscribe_mailto"],
    "limits": ["max_source_bytes", "max_email_bytes", "fetch_timeout", "max_html_depth"],
    "delivery": ["transport", "connections", "rate_per_second"],
    "import": ["profile_dirs", "site_index", "default_profile"],
}  # fmt: skip
_NUMBERS = {"feed_size", "max_source_bytes", "max_email_bytes", "max_html_depth", "connections"}
_URLS = {"base_url", "icon", "logo", "subscribe_url"}
_CHOICES = {
    "base_url": ["https://example.org/news/", "https://example.org", "http://x", "ftp://x/", "javascript:x"],
    "from": [
        "Novastan <n@example.org>",
        "n@example.org",
        "Eve\r\nBcc: v@example.org <e@example.org>",
        '"Novastan, the European magazine on Central Asia, its weekly newsletter" <n@example.org>',
    ],
    "unsubscribe_url": ["https://x.example/u/{token}", "https://x.example/u", ""],
    "transport": ["auto", "outbox", "smtp", "pigeon"],
    "feed_id": ["tag:example.org,2025:newsletter"] * 4 + ["", "not a uri"],
    "language": ["de", "fr", "en", "ar", "x\u202e"],
}


@st.composite
def config_toml(draw: st.DrawFn) -> str:
    """A newsletter.toml: known tables and keys, with values of their type (hostile text) in
    four files of five, and anything at all in the fifth."""
    hostile = draw(st.integers(0, 4)) == 0
    text = line_text(4, controls=hostile)
    lines = []
    for table, keys in _KEYS.items():
        if table == "import" or (table != "site" and not draw(st.booleans())):
            continue
        lines.append(f"[{table}]")
        for key in keys:
            required = table == "site" and key in ("title", "base_url", "feed_id")
            if not required and not draw(st.booleans()):
                continue
            if hostile and draw(st.booleans()):
                value = draw(
                    st.one_of(text, st.integers(-5, 10**9), st.floats(allow_nan=False), st.booleans())
                )
            elif key in _CHOICES:
                value = draw(st.sampled_from(_CHOICES[key]))
            elif key in _NUMBERS:
                value = draw(st.integers(1, 10**7))
            elif key in ("fetch_timeout", "rate_per_second"):
                value = draw(st.floats(0.1, 100))
            elif key in _URLS:
                value = "https://example.org/" + draw(st.sampled_from(["a.png", "", "x?y=1&z=2"]))
            else:
                value = draw(text)
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=hostile)}")  # JSON scalars are TOML
    for _ in range(draw(st.integers(0, 2))):
        url = draw(st.sampled_from(["https://x.example/n", "javascript:alert(1)", "data:,x", "//x.example"]))
        lines += [
            "[[site.social]]",
            f"name = {json.dumps(draw(text), ensure_ascii=hostile)}",
            f'url = "{url}"',
        ]
    if hostile and draw(st.booleans()):
        lines.append(draw(hostile_text(8)))  # anything, likely broken TOML
    return "\n".join(lines) + "\n"


@pytest.mark.fuzz
@given(encoded(config_toml()))
@example(b'[site]\ntitle = "T\\u0001\\r\\nX"\nbase_url = "https://e.org/"\nfeed_id = "tag:e.org,2025:n"\n')
@example(
    b'[site]\ntitle = "T"\nbase_url = "https://e.org/"\nfeed_id = "t"\n[email]\nfrom = "E\\r\\nBcc: x@y.z"\n'
)
def test_any_config_loads_to_valid_outputs_or_one_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "newsletter.toml"
        path.write_bytes(data)
        try:
            config = load_config(path)
        except NewsletterError as e:
            event("refused: " + one_line_error(e).split(": ", 1)[-1][:40])
            return
    event("loaded")
    config = replace(config, root=ROOT)  # the repo's templates
    assert_feeds_valid(config, ISSUE)
    assert_email_valid(config, ISSUE)
    try:
        assert_message_headers(config, ISSUE, "<p>x</p>", "x")
    except NewsletterError as e:  # a sender with a line break: refused, not sent
        one_line_error(e)
