"""A digest's `articles:`: issue files, slugs, URLs and inline articles read into teasers; errors."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.model import Image
from newsletter.sources.markdown import read_issue
from newsletter.sources.markdown_writer import issue_to_markdown
from newsletter.sources.teasers import referenced_files

DIGEST = Path(__file__).parents[1] / "data" / "digest"
ISSUES = DIGEST / "issues"
WEEK = ISSUES / "2025-11-28-novastan-die-woche.md"


def test_a_digest_bundles_an_issue_file_a_slug_and_an_inline_article() -> None:
    issue = read_issue(WEEK)
    assert issue.is_digest
    first, second, third = issue.articles
    assert (first.slug, first.source, first.url) == ("steppenwind", "2025-11-24-steppenwind.md", "")
    assert first.title == "Steppenwind: Kasachstans Windparks wachsen schneller als geplant"
    assert first.summary.startswith("In der Region Schambyl")
    assert first.image == Image(
        "https://novastan.org/wp-content/uploads/2025/11/windpark-schambyl.jpg",
        alt="Windräder in der Steppe der Region Schambyl unter einem bewölkten Himmel",
    )
    assert first.language == "de"
    assert first.date == dt.datetime(2025, 11, 24, 8, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert (second.slug, second.source) == ("basar-in-bischkek", "basar-in-bischkek")
    assert third.slug == "" and third.source == ""
    assert third.url == "https://novastan.org/de/usbekistan/baumwolle-ohne-zwangsarbeit/"
    assert third.summary == "Nach Jahren des Boykotts kehren internationale Marken zurück."
    assert third.image == Image(
        "https://novastan.org/wp-content/uploads/2025/11/baumwollfeld.jpg",
        alt="Ein Baumwollfeld im Ferghanatal kurz vor der Ernte",
        width=1200,
        height=800,
    )


def test_the_intro_body_is_optional_and_then_the_titles_are_the_summary(tmp_path: Path) -> None:
    shutil.copytree(ISSUES, tmp_path, dirs_exist_ok=True)
    bare = tmp_path / "2025-11-29-ohne-intro.md"
    text = WEEK.read_text(encoding="utf-8").split("---\n")
    bare.write_text(
        "---\n".join([*text[:2], ""]).replace("novastan-die-woche", "ohne-intro"), encoding="utf-8"
    )
    issue = read_issue(bare)
    assert issue.article.sections == ()
    assert issue.article.summary == " · ".join(t.title for t in issue.articles)


def test_a_single_article_issue_has_no_teasers() -> None:
    issue = read_issue(ISSUES / "2025-11-24-steppenwind.md")
    assert issue.articles == () and not issue.is_digest


def test_a_bare_url_is_its_own_title_and_an_inline_article_may_name_its_language(
    tmp_path: Path,
) -> None:
    path = tmp_path / "2025-11-28-links.md"
    url = "https://novastan.org/de/kasachstan/artikel/"
    path.write_text(
        f'---\nid: "tag:x,2025:l"\ntitle: "Links"\ndate: 2025-11-28T08:00:00Z\nlanguage: de\n'
        f"articles:\n  - {url}\n  - {{title: Eau, url: '{url}fr/', language: fr_FR}}\n---\n",
        encoding="utf-8",
    )
    teaser, french = read_issue(path).articles
    assert (teaser.title, teaser.url, teaser.image, teaser.language) == (url, url, None, "")
    assert (french.title, french.language) == ("Eau", "fr-FR")  # one way to write a language


@pytest.mark.parametrize(
    ("fixture", "line", "message"),
    [
        ("missing-issue", 8, "articles: item 2: no issue file '2025-11-27-gibt-es-nicht.md'"),
        ("http-url", 8, "articles: item 2: 'url' must be an absolute https URL"),
        ("unknown-key", 7, "articles: item 1: unknown key 'sumary'; did you mean 'summary'?"),
        ("unknown-image-key", 7, "articles: item 1: unknown key 'widht' in 'image'; did you mean 'width'?"),
        ("digest-of-a-digest", 7, "is a digest itself; a digest bundles articles, not other digests"),
        ("not-a-list", 6, "front matter 'articles' must be a list"),
        ("article-after-the-digest", 7, "2025-11-25-basar-in-bischkek.md is dated after this digest"),
    ],
)
def test_a_bad_article_is_one_line_naming_file_and_line(fixture: str, line: int, message: str) -> None:
    path = DIGEST / "bad" / f"{fixture}.md"
    with pytest.raises(NewsletterError) as e:
        read_issue(path, issues_dir=ISSUES)
    assert e.value.path == str(path) and e.value.line == line
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_digest_writes_back_as_it_was_read(tmp_path: Path) -> None:
    shutil.copytree(ISSUES, tmp_path, dirs_exist_ok=True)
    issue = read_issue(tmp_path / WEEK.name)
    again = tmp_path / "2025-11-28-wieder.md"
    again.write_text(issue_to_markdown(issue), encoding="utf-8")
    back = read_issue(again)
    assert back.articles == issue.articles
    assert '  - "2025-11-24-steppenwind.md"\n  - "basar-in-bischkek"\n' in again.read_text(encoding="utf-8")


def test_the_cache_key_knows_the_bundled_files() -> None:
    assert referenced_files(WEEK.read_bytes(), ISSUES) == [
        ISSUES / "2025-11-24-steppenwind.md",
        ISSUES / "2025-11-25-basar-in-bischkek.md",
    ]
    assert referenced_files((ISSUES / "2025-11-24-steppenwind.md").read_bytes(), ISSUES) == []
