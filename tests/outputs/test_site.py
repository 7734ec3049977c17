"""The web pages: one issue's page and the listing."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from newsletter.config import load_config
from newsletter.outputs.email import render_email
from newsletter.outputs.site import render_issue_page
from newsletter.sources.markdown import read_issue

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data" / "email"
TEMPLATES = ROOT / "templates"


def test_a_sindhi_issue_is_right_to_left_in_the_email_and_on_its_page() -> None:
    site = load_config(DATA / "newsletter.toml").site
    issue = read_issue(DATA / "sd-right-to-left.md")
    for html in (render_email(site, issue, TEMPLATES), render_issue_page(site, issue, TEMPLATES)):
        root = BeautifulSoup(html, "html.parser").find("html")
        assert root is not None and (root["lang"], root["dir"]) == ("sd", "rtl")
