"""The web pages: one issue's page and the listing, and that they look like the email: one palette,
the configured logo, brand names spelled alike, the same text direction."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from newsletter.build import build
from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.model import Issue
from newsletter.outputs.email import render_email
from newsletter.outputs.feeds import without_body
from newsletter.outputs.site import (
    ARCHIVE_ITEM,
    ready_index,
    render_archive_item,
    render_index,
    render_issue_page,
)
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


def _old_style(templates: Path) -> Path:
    """`templates` as a project made before the listing's entry had a template of its own had
    them: `index.html` lists each issue itself, and there is no `_archive_item.html`."""
    site = templates / "site"
    item = (site / ARCHIVE_ITEM).read_text(encoding="utf-8")
    index = (site / "index.html").read_text(encoding="utf-8")
    loop = "{% for item in items %}{{ item.html }}{% endfor %}\n"
    assert loop in index
    listed = "{% for item in items %}\n" + item + "{% endfor %}\n"
    (site / "index.html").write_text(index.replace(loop, listed), encoding="utf-8")
    (site / ARCHIVE_ITEM).unlink()
    return templates


def test_each_issues_entry_is_rendered_with_it_and_the_listing_is_the_entries(tmp_path: Path) -> None:
    site, issue = _sample()
    listing = without_body(issue)
    item = render_archive_item(site, listing, TEMPLATES)
    assert item is not None and item.startswith("  <li lang=") and item.endswith("</li>\n")

    class Kept:  # as a build keeps an issue: the entry rendered, the listing not to be read
        language, archive_item = issue.language, item

        @property
        def listing(self) -> Issue:
            raise AssertionError("the listing's entry was rendered with the issue")

    index = render_index(site, [Kept()], TEMPLATES)
    assert item in index and index == render_index(site, [listing], TEMPLATES)
    # an older project's templates list the same
    old = _old_style(Path(shutil.copytree(TEMPLATES, tmp_path / "templates")))
    assert render_archive_item(site, listing, old) is None
    assert render_index(site, [listing], old) == index


def test_a_built_listing_is_the_same_with_an_older_projects_templates(tmp_path: Path) -> None:
    root = Path(shutil.copytree(ROOT / "issues", tmp_path / "issues")).parent
    shutil.copy(ROOT / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(TEMPLATES, root / "templates")
    build(load_config(root), root / "new", jobs=1)
    _old_style(root / "templates")
    build(load_config(root), root / "old", jobs=1)
    assert (root / "old" / "index.html").read_bytes() == (root / "new" / "index.html").read_bytes()


@pytest.mark.parametrize(
    ("name", "mistake", "expected"),
    [
        ("index.html", "{% for %}", r"site/index\.html:\d+: site template error: "),
        ("issue.html", "{{ nonesuch.title }}", r"site/issue\.html:\d+: site template error: 'nonesuch' is"),
        ("_archive_item.html", None, r"site/_archive_item\.html: site template _archive_item\.html is miss"),
    ],
)
def test_a_mistake_in_a_site_template_is_one_line_naming_the_file(
    tmp_path: Path, name: str, mistake: str | None, expected: str
) -> None:
    templates = Path(shutil.copytree(TEMPLATES, tmp_path / "templates"))
    target = templates / "site" / name
    if mistake is None:
        target.unlink()
    else:  # at the top of the page's main block
        text = target.read_text(encoding="utf-8")
        target.write_text(text.replace("{% block main %}\n", "{% block main %}\n" + mistake + "\n", 1))
    ready_index(templates)  # loaded ahead: a mistake is left for the rendering to report
    site, issue = _sample()
    with pytest.raises(NewsletterError, match=expected) as error:
        render_index(site, [issue], templates)
        render_issue_page(site, issue, templates)
    assert "\n" not in str(error.value)
    if mistake is not None:  # the line the mistake is on
        lines = target.read_text(encoding="utf-8").splitlines()
        assert error.value.line == lines.index(mistake) + 1
