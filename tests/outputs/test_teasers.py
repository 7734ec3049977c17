"""A digest in every output: teasers in the email (real Chromium), the page, the feeds, the text part."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import feedparser
import pytest
from browser import artifact, launch_chromium
from conftest import require, tree_digest
from factories import make_issue
from reader import make_reader

from newsletter.build import build
from newsletter.config import load_config
from newsletter.judges.accessibility import (
    audit_pages,
    audit_problems,
    axe_script_path,
    chromium_path,
    structure_problems,
)
from newsletter.judges.files import check_sources
from newsletter.model import Teaser
from newsletter.outputs.content import teasers_html
from newsletter.outputs.email import preheader_text, render_mjml
from newsletter.outputs.labels import labels_for
from newsletter.sources.markdown import read_issue

ROOT = Path(__file__).resolve().parents[2]
DIGEST = ROOT / "tests" / "data" / "digest"
WEEK_ID = "tag:novastan.org,2025-11-28:novastan-die-woche"
BASE = "https://newsletter.novastan.org/issues/"
LINKS = [
    BASE + "steppenwind/",
    BASE + "basar-in-bischkek/",
    "https://novastan.org/de/usbekistan/baumwolle-ohne-zwangsarbeit/",
]


def _newsletter(root: Path) -> Path:
    shutil.copytree(DIGEST / "issues", root / "issues")
    shutil.copy(DIGEST / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(ROOT / "templates", root / "templates")
    return root


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _newsletter(tmp_path_factory.mktemp("digest"))
    build(load_config(root / "newsletter.toml"), root / "public", use_cache=False)
    return root


@pytest.fixture(scope="module")
def week(news: Path) -> Path:
    return news / "public" / "issues" / "novastan-die-woche"


def _in_order(text: str, *parts: str) -> bool:
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
    return True


def test_the_digest_builds_byte_identically_twice(news: Path, tmp_path: Path) -> None:
    again = _newsletter(tmp_path / "again")
    build(load_config(again / "newsletter.toml"), again / "public", use_cache=False)
    assert tree_digest(again / "public") == tree_digest(news / "public")


def test_the_page_lists_the_teasers_linked_to_the_issue_pages_or_the_article(week: Path) -> None:
    page = (week / "index.html").read_text(encoding="utf-8")
    assert _in_order(page, "Diese Woche auf Novastan", *(f'<h2><a href="{url}">' for url in LINKS))
    assert page.count(">Weiterlesen</a>") == 3
    assert 'aria-label="Weiterlesen: Ein Morgen auf dem Osch-Basar in Bischkek"' in page
    assert (
        '<img src="https://novastan.org/wp-content/uploads/2025/11/baumwollfeld.jpg" '
        'alt="Ein Baumwollfeld im Ferghanatal kurz vor der Ernte" width="536" height="357">'
    ) in page
    assert structure_problems(week / "index.html", page) == []  # "Weiterlesen" is named for its article


def test_the_preview_line_names_the_articles_after_a_one_sentence_intro(news: Path) -> None:
    issue = read_issue(news / "issues" / "2025-11-28-novastan-die-woche.md")
    assert preheader_text(issue) == (
        "Steppenwind: Kasachstans Windparks wachsen schneller als geplant · "
        "Ein Morgen auf dem Osch-Basar in Bischkek…"
    )


def test_check_asks_a_digest_for_no_authors(news: Path) -> None:
    _, problems = check_sources(load_config(news / "newsletter.toml"))
    assert [p.message for p in problems if "novastan-die-woche" in p.path] == []


def test_an_article_in_another_language_is_marked_so() -> None:
    teaser = Teaser("L’Ouzbékistan et l’eau", url="https://novastan.org/fr/ouzbekistan-eau/", language="fr")
    issue = make_issue(
        articles=(teaser, Teaser("Auf Deutsch", url="https://novastan.org/de/a/", language="de"))
    )
    site = load_config(DIGEST / "newsletter.toml").site
    html = teasers_html(site, issue, labels_for(ROOT / "templates", "de"))
    assert html.count(" lang=") == 1 and '<article class="teaser" lang="fr">' in html
    email = render_mjml(site, issue, ROOT / "templates")
    assert '<h2 lang="fr" ' in email and email.count(' lang="fr"') == 1  # no summary: the title alone


def test_the_text_part_lists_title_standfirst_and_url(week: Path) -> None:
    text = (week / "email.txt").read_text(encoding="utf-8")
    assert _in_order(
        text,
        "Ein Morgen auf dem Osch-Basar in Bischkek\n-----",
        "Zwischen Gewürzständen und Teestuben",
        LINKS[1],
        "Usbekistans Baumwolle ohne Zwangsarbeit\n-----",
        "Nach Jahren des Boykotts kehren internationale Marken zurück.\n" + LINKS[2],
    )


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss"])
def test_the_feed_entry_lists_the_teasers(news: Path, name: str) -> None:
    feed = feedparser.parse((news / "public" / "de" / name).read_bytes())
    assert not feed.bozo, feed.bozo_exception
    (entry,) = [e for e in feed.entries if e.id == WEEK_ID]
    content = entry.content[0].value
    assert _in_order(content, *(f'<a href="{url}">' for url in LINKS))
    assert "osch-basar.jpg" in content and content.count("Weiterlesen") == 3


def test_the_json_feed_item_lists_the_teasers(news: Path) -> None:
    feed = json.loads((news / "public" / "de" / "feed.json").read_bytes())
    (item,) = [i for i in feed["items"] if i["id"] == WEEK_ID]
    assert _in_order(item["content_html"], *(f'<a href="{url}">' for url in LINKS))


def test_reader_reads_the_digest_entry(news: Path, tmp_path: Path) -> None:
    reader = make_reader(str(tmp_path / "reader.sqlite"), feed_root=str(news / "public"))
    try:
        reader.add_feed("de/feed.atom")
        for result in reader.update_feeds_iter(scheduled=False):
            assert not isinstance(result.value, Exception), result.value
        entry = reader.get_entry(("de/feed.atom", WEEK_ID))
        assert entry.title == "Novastan – Die Woche"
        assert all(url in entry.content[0].value for url in LINKS)
    finally:
        reader.close()


def test_an_edited_article_reaches_the_digest_on_a_cached_rebuild(tmp_path: Path) -> None:
    root = _newsletter(tmp_path / "news")
    config = load_config(root / "newsletter.toml")
    build(config, root / "public")
    source = root / "issues" / "2025-11-25-basar-in-bischkek.md"
    source.write_text(source.read_text(encoding="utf-8").replace("Ein Morgen", "Ein Abend"), encoding="utf-8")
    build(config, root / "public")
    page = (root / "public" / "issues" / "novastan-die-woche" / "index.html").read_text(encoding="utf-8")
    assert "Ein Abend auf dem Osch-Basar" in page and "Ein Morgen" not in page


# --- in headless Chromium -------------------------------------------------------------------


def _screenshot(name: str) -> Path:
    folder = os.environ.get("NEWSLETTER_TEST_ARTIFACTS")
    if not folder:
        return artifact(name)
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / name


@pytest.mark.browser
def test_the_digest_email_fits_and_its_images_stay_in_the_column(week: Path) -> None:
    # One browser for the three widths, closed before axe's (one Playwright session at a time).
    with launch_chromium() as chromium:
        for width in (320, 375, 600):
            _fits(chromium, week, width)


def _fits(chromium: Any, week: Path, width: int) -> None:
    page = chromium.new_page(viewport={"width": width, "height": 800})
    requests: list[str] = []
    page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page.set_content((week / "email.html").read_text(encoding="utf-8"), wait_until="load")
    page.screenshot(path=_screenshot(f"email-digest-{width}.png"), full_page=True)
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width + 1, width
    boxes = page.evaluate(
        """Array.from(document.querySelectorAll('.teaser img')).map((img) => {
             const column = img.closest('td').getBoundingClientRect(), box = img.getBoundingClientRect();
             return [box.left - column.left, column.right - box.right, box.width];
           })"""
    )
    assert len(boxes) == 3
    for left, right, image_width in boxes:
        assert left >= 0 and right >= 0 and 0 < image_width <= 536, (width, left, right, image_width)
    assert page.locator(".teaser a", has_text="Weiterlesen").count() == 3
    assert requests == [  # the images the email shows, fetched by the reader's client (refused here)
        "https://novastan.org/wp-content/uploads/2025/11/windpark-schambyl.jpg",
        "https://novastan.org/wp-content/uploads/2025/11/osch-basar.jpg",
        "https://novastan.org/wp-content/uploads/2025/11/baumwollfeld.jpg",
    ]
    page.close()


@pytest.mark.browser
def test_the_digest_email_and_page_pass_axe_and_contrast(week: Path) -> None:
    chromium, axe = chromium_path(), axe_script_path()
    require(chromium is not None, "/usr/bin/chromium")
    require(axe is not None, "node_modules/axe-core (npm install)")
    assert chromium and axe
    pages = [week / "email.html", week / "index.html"]
    audits, _ = audit_pages(pages, axe_script=axe, chromium=chromium)
    for page, result in audits.items():
        serious = [v for v in result.axe if v.impact in ("serious", "critical")]
        assert serious == [], page
        assert audit_problems(result) == [], page
    assert structure_problems(week / "email.html", (week / "email.html").read_bytes()) == []
