"""The issue email in real headless Chromium: phone and desktop widths, dark mode, no network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import COLORS_JS, artifact, contrast_ratio, launch_chromium

from newsletter.config import load_config
from newsletter.outputs.email import render_email
from newsletter.sources.markdown import read_issue

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "email"
TEMPLATES = ROOT / "templates"

pytestmark = pytest.mark.browser

# Body text, headings, credits, related links, call to action and footer.
TEXT_SELECTORS = (
    ".article p",
    ".article h2",
    ".article li",
    ".article blockquote p",
    ".article .related a",
    ".title",
    ".standfirst",
    ".byline",
    ".masthead",
    ".dateline",
    ".related-block a",
    ".call-to-action p",
    ".btn a",
    ".footer p",
    ".footer a",
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launch_chromium() as browser:
        yield browser


def email_html(name: str) -> str:
    site = load_config(DATA / "newsletter.toml").site
    return render_email(site, read_issue(DATA / name), TEMPLATES)


@pytest.fixture(scope="module")
def sample_html() -> str:
    return email_html("kasachstan-abraham-abkommen.md")


def open_email(chromium: Any, html: str, width: int, scheme: str = "light") -> tuple[Any, list[str]]:
    """A page showing `html`; every request it tries is refused and recorded."""
    page = chromium.new_page(viewport={"width": width, "height": 800})
    requests: list[str] = []
    page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page.emulate_media(color_scheme=scheme)
    page.set_content(html, wait_until="load")
    return page, requests


def overflow(page: Any) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("width", [320, 375, 600])
def test_fits_the_screen_without_sideways_scrolling(chromium: Any, sample_html: str, width: int) -> None:
    page, requests = open_email(chromium, sample_html, width)
    scroll_width, inner_width = overflow(page)
    page.screenshot(path=artifact(f"email-{width}.png"), full_page=True)
    assert scroll_width <= inner_width + 1
    assert requests == []  # no fonts, icons, pixels or stylesheets fetched
    page.close()


@pytest.mark.parametrize(("width", "padding"), [(320, "20px"), (600, "32px")])
def test_phone_layout_narrows_the_margins(chromium: Any, sample_html: str, width: int, padding: str) -> None:
    page, _ = open_email(chromium, sample_html, width)
    assert page.evaluate("getComputedStyle(document.querySelector('td.article')).paddingLeft") == padding
    page.close()


def test_call_to_action_button_is_visible_on_a_phone(chromium: Any, sample_html: str) -> None:
    page, _ = open_email(chromium, sample_html, 320)
    box = page.locator(".btn a").bounding_box()
    assert box is not None and box["width"] > 100 and box["x"] + box["width"] <= 320
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_keeps_contrast(chromium: Any, sample_html: str, scheme: str) -> None:
    page, _ = open_email(chromium, sample_html, 600, scheme)
    if scheme == "dark":
        page.screenshot(path=artifact("email-dark.png"), full_page=True)
        body = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert contrast_ratio(body, "rgb(255, 255, 255)") > 10  # actually dark, not the light design
    checked = 0
    for selector in TEXT_SELECTORS:
        for element in page.evaluate(COLORS_JS, selector):
            ratio = contrast_ratio(element["color"], element["background"])
            assert ratio >= 4.5, f"{scheme}: {selector} {element}: {ratio:.2f}"
            checked += 1
    assert checked > 30
    page.close()


@pytest.mark.parametrize("width", [320, 600])
def test_rich_blocks_fit_a_phone(chromium: Any, width: int) -> None:
    """Images, tables, code and nested lists stay inside the screen."""
    page, _ = open_email(chromium, email_html("en-rich-blocks.md"), width)
    scroll_width, inner_width = overflow(page)
    page.screenshot(path=artifact(f"email-rich-{width}.png"), full_page=True)
    assert scroll_width <= inner_width + 1
    page.close()


def test_long_url_wraps_instead_of_widening_the_page(chromium: Any) -> None:
    page, _ = open_email(chromium, email_html("long-url-2000-chars.md"), 320)
    scroll_width, inner_width = overflow(page)
    assert scroll_width <= inner_width + 1
    page.close()


def test_right_to_left_issue_reads_right_to_left(chromium: Any) -> None:
    page, _ = open_email(chromium, email_html("ar-right-to-left.md"), 375)
    page.screenshot(path=artifact("email-rtl-375.png"), full_page=True)
    assert page.evaluate("getComputedStyle(document.querySelector('.title')).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('td.article > div')).textAlign") == "right"
    page.close()
