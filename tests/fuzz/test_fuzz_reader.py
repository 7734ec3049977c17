"""The `reader` feed library takes every feed a fuzzed issue makes (few examples: it is slow)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from reader import make_reader

from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.outputs.feeds import render_feeds
from newsletter.sources.html import read_html
from newsletter.sources.profiles import load_profiles

from .checks import issue_from_draft
from .test_fuzz_html import page

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "newsletter.toml")
PROFILES = load_profiles()


@pytest.mark.fuzz
@settings(max_examples=12)
@given(page())
def test_reader_reads_every_feed_of_a_fuzzed_page(html: str) -> None:
    try:
        issue = issue_from_draft(read_html(html, profiles=PROFILES, path="page.html"))
    except NewsletterError:
        return
    files = render_feeds(CONFIG.site, [issue], CONFIG.templates_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("feed.atom", "feed.rss", "feed.json"):
            (Path(tmp) / name).write_bytes(files[name])
        reader = make_reader(":memory:", feed_root=tmp)
        try:
            for name in ("feed.atom", "feed.rss", "feed.json"):
                reader.add_feed(name)
            for result in reader.update_feeds_iter(scheduled=False):
                assert not isinstance(result.value, Exception), (result.url, result.value)
            titles = {e.feed_url: e.title for e in reader.get_entries()}
            assert len(titles) == 3, titles
            assert len(set(titles.values())) == 1, titles  # the same title in every format
        finally:
            reader.close()
