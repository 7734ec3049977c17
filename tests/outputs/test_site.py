"""The web pages: one issue's page and the listing, and that they look like the email: one palette,
the configured logo, brand names spelled alike, the same text direction."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from newsletter.config import load_config
from newsletter.outputs.email import render_email
from newsletter.outputs.site import render_index, render_issue_page
from newsletter.sources.markdown import read_issue, read_issues

from .conftest import ROOT

TEMPLATES = ROOT / "templates"
DATA = ROOT / "tests" / "data" / "email"


def test_a_sindhi_issue_is_right_to_left_in_the_email_and_on_its_page() -> None:
    site = load_config(DATA / "newsletter.toml").site
    issue = read_issue(DATA / "sd-right-to-left.md")
    for html in (render_email(site, issue, TEMPLATES), render_issue_page(site, issue, TEMPLATES)):
        root = BeautifulSoup(html, "html.parser").find("html")
        assert root is not None and (root["lang"], root["dir"]) == ("sd", "rtl")


def _sample() -> tuple:
    config = load_config(ROOT / "newsletter.toml")
    (issue,) = read_issues(ROOT / "issues")
    return config.site, issue


def test_web_pages_spell_brands_as_the_email_does_and_show_the_logo() -> None:
    site, issue = _sample()
    for page in (render_issue_page(site, issue, TEMPLATES), render_index(site, [issue], TEMPLATES)):
        soup = BeautifulSoup(page, "html.parser")
        footer = soup.select_one("footer.site")
        assert footer is not None
        names = [a.get_text() for a in footer.select("a")]
        assert "LinkedIn" in names and "Linkedin" not in names
        logo = soup.select_one("header.site img.logo")
        assert logo is not None and logo["src"] == site.logo and logo["alt"] == ""
    email = BeautifulSoup(render_email(site, issue, TEMPLATES), "html.parser")
    assert [img["src"] for img in email.select(".logo img")] == [site.logo]


def _colours(path: Path, name: str) -> set[str]:
    """The values of CSS custom property `--name` (light and dark) in a template."""
    return set(re.findall(rf"--{name}: (#[0-9a-f]{{6}})", path.read_text(encoding="utf-8")))


def test_email_web_and_service_share_one_palette() -> None:
    """Rust accent and blue links in light mode, their dark-mode pairs, wherever a reader looks."""
    email_style = (TEMPLATES / "email" / "_style.mjml").read_text(encoding="utf-8")
    site, service = TEMPLATES / "site" / "base.html", TEMPLATES / "service" / "_layout.html"
    for name in ("fg", "muted", "bg", "accent", "link", "panel"):
        assert _colours(site, name) == _colours(service, name), name
    for colour in (*_colours(site, "accent"), *_colours(site, "link"), *_colours(site, "muted")):
        assert colour in email_style, colour
