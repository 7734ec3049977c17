"""Size limits on every input ([limits] in newsletter.toml), each with a clear one-line error;
20 MB inputs are generated here, never committed."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from newsletter.config import Config
from newsletter.errors import NewsletterError
from newsletter.judges.provider import judge_html
from newsletter.outputs.email import render_email
from newsletter.sources.importer import import_article
from newsletter.sources.markdown import read_issue
from newsletter.sources.related import load_site_index

from .support import CONFIG, body_html, body_text, imported

TWENTY_MB = 20 * 1024 * 1024


def limited(**limits: int) -> Config:
    return dataclasses.replace(CONFIG, limits=dataclasses.replace(CONFIG.limits, **limits))


def one_line(error: pytest.ExceptionInfo[NewsletterError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_20_mb_dump_is_refused_before_it_is_read(tmp_path: Path) -> None:
    dump = tmp_path / "huge.txt"
    with dump.open("wb") as f:
        f.write(b"Title\n\n")
        f.write(b"A sentence of a very long article. " * (TWENTY_MB // 35))
    start = time.monotonic()
    with pytest.raises(NewsletterError) as caught:
        import_article(str(dump), config=CONFIG, out_dir=tmp_path / "issues")
    assert time.monotonic() - start < 1
    assert "huge.txt: is 20,971,5" in one_line(caught) and "[limits] max_source_bytes" in one_line(caught)
    assert not (tmp_path / "issues").exists()


def test_a_20_mb_issue_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "2025-11-20-huge.md"
    path.write_bytes(
        b'---\nid: "tag:x.org,2025:h"\ntitle: "H"\ndate: 2025-11-20T08:00:00Z\nlanguage: de\n---\n'
    )
    with path.open("ab") as f:
        f.truncate(TWENTY_MB)
    with pytest.raises(NewsletterError) as caught:
        read_issue(path)
    assert "over the limit of 5,000,000" in one_line(caught)


def test_a_site_index_over_its_limit_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sitemap.xml").write_bytes(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
    with pytest.raises(NewsletterError) as caught:
        load_site_index(["sitemap.xml"], root=tmp_path, timeout=1, max_bytes=1_000_000)
    assert "sitemap.xml: is 2,000,017 bytes, over the limit of 1,000,000" in one_line(caught)


def deep_page(depth: int) -> str:
    return (
        "<html><head><title>Deep</title></head><body><article><p>First paragraph stays.</p>"
        + "<div><span>" * depth
        + "the words at the bottom"
        + "</span></div>" * depth
        + "<p>Last paragraph stays.</p></article></body></html>"
    )


def test_html_nested_10000_deep_is_flattened_to_its_text(tmp_path: Path) -> None:
    (tmp_path / "deep.html").write_text(deep_page(10_000))
    start = time.monotonic()
    article = imported(str(tmp_path / "deep.html"), tmp_path / "out").article
    assert time.monotonic() - start < 10
    text = body_text(article)
    for words in ("First paragraph stays.", "the words at the bottom", "Last paragraph stays."):
        assert words in text
    assert body_html(article).count("<") < 20  # no 10,000 tags survive


def test_max_html_depth_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "deep.html").write_text(deep_page(5).replace("<span>", "<span><em>", 1))
    shallow = limited(max_html_depth=4)
    article = imported(str(tmp_path / "deep.html"), tmp_path / "out", config=shallow).article
    assert "the words at the bottom" in body_text(article)
    assert "<em>" not in body_html(article)  # below depth 4: text only


def test_an_email_over_max_email_bytes_is_built_and_failed_by_check(tmp_path: Path) -> None:
    # Decision: the build writes a big email (the feeds and archive need the issue); `newsletter
    # check` fails it, since Gmail clips a message beyond ~102 KB.
    issue = read_issue(Path(__file__).parents[1] / "data" / "issues" / "2025-10-02-ouzbekistan-eau.md")
    sections = issue.article.sections * 40
    big = dataclasses.replace(issue, article=dataclasses.replace(issue.article, sections=sections))
    html = render_email(CONFIG.site, big, CONFIG.templates_dir)
    assert len(html.encode()) > CONFIG.limits.max_email_bytes
    verdict = judge_html(
        tmp_path / "email.html",
        html,
        unsubscribe_url="https://x.example/u",
        max_bytes=CONFIG.limits.max_email_bytes,
    )
    assert any("102" in p.message or "clip" in p.message.lower() for p in verdict.problems), verdict.problems
