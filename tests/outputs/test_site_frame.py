"""A listing made from its frame is the listing its template renders, for any template that
uses its entries only by writing them; every other template gets no frame."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.config import load_config
from newsletter.model import Issue, Site
from newsletter.outputs import read_templates_again
from newsletter.outputs.feeds import without_body
from newsletter.outputs.site import render_archive_item, render_index
from newsletter.outputs.site_frame import fill, is_frame, listing_frame
from newsletter.sources.markdown import read_issues

from .conftest import ROOT

TEMPLATES = ROOT / "templates"


class _Kept:
    """An issue as a build lists it: its entry rendered with it."""

    def __init__(self, issue: Issue, site: Site, templates: Path):
        self.language, self.listing = issue.language, without_body(issue)
        self.archive_item = render_archive_item(site, self.listing, templates)


def _issues(count: int) -> tuple[Site, list[Issue]]:
    config = load_config(ROOT / "newsletter.toml")
    (issue,) = read_issues(ROOT / "issues")
    languages = config.site.languages or (issue.language,)
    made = []
    for i in range(count):
        article = replace(issue.article, title=f"{issue.article.title} <{i}> & „Teil {i}“")
        made.append(
            replace(
                issue,
                id=f"{issue.id}-{i}",
                slug=f"{issue.slug}-{i}",
                date=issue.date - dt.timedelta(days=i),
                language=languages[i % len(languages)],
                article=article,
            )
        )
    return config.site, made


def _listed(site: Site, issues: list[Issue], templates: Path) -> list[_Kept]:
    return [_Kept(issue, site, templates) for issue in issues]


@pytest.mark.parametrize("count", [0, 1, 2, 7])
def test_the_projects_listing_from_its_frame_is_the_rendered_listing(count: int) -> None:
    site, issues = _issues(count)
    listed = _listed(site, issues, TEMPLATES)
    for language in (None, *site.languages):
        own = [i for i in listed if language is None or i.language == language]
        frame = listing_frame(site, len(own), TEMPLATES, language)
        assert frame is not None and is_frame(frame)
        entries = [i.archive_item for i in own]
        assert all(e is not None for e in entries)
        assert fill(frame, entries) == render_index(site, own, TEMPLATES, language)  # type: ignore[arg-type]


# Inside the loop over `items`: what a frame may hold, and what it may not.
WRITES_ENTRIES = [
    "{{ item.html }}",
    "<li>{{ loop.index }}</li>",
    "{% if loop.first %}first{% endif %}",
    "{% if loop.last %}.{% else %}, {% endif %}",
    "{{ loop.cycle('odd', 'even') }}",
    "{% for n in range(2) %}{{ item.html }}{% endfor %}",
    "{{ loop.length - loop.index0 }}",
    "\n",
]
READS_ENTRIES = [
    "{{ item.html|upper }}",
    "{{ item.html|replace('li', 'LI') }}",
    "{{ item.html|striptags }}",
    "{{ item.html|safe }}",
    "{{ item.issue.article.title }}",
    "{{ item.url }}",
    "{{ item['html'] }}",
    "{{ loop.nextitem.html if loop.nextitem }}",
    "{{ loop.previtem.html if loop.previtem }}",
    "{% set kept = item.html %}{{ kept }}",
    "{% set kept %}{{ item.html }}{% endset %}{{ kept|lower }}",
    "{% filter upper %}{{ item.html }}{% endfilter %}",
    "{% if item.html %}yes{% endif %}",
    "{{ item.html ~ '' }}",
    "{{ item }}",
    "{{ loop.changed(item.html) }}",
    "{{ item.html is string }}",  # asks nothing of the entry, and yet tells a mark from an entry
    "{% if item.html is defined %}defined{% endif %}",
]
# Around the loop.
AROUND = ["", "{{ items|length }} ", "{% if items %}some{% else %}none{% endif %}", "{{ site.title }}"]
AROUND_READING = [
    "{{ items|map(attribute='html')|join }}",
    "{{ (items|first).html if items }}",
    "{{ items[0].html if items }}",
    "{% for other in items|reverse %}{{ other.html }}{% endfor %}",
    "{% for other in items if other.html %}{{ other.html }}{% endfor %}",
]
WRAPS = [
    ("", ""),
    ("{% filter upper %}", "{% endfilter %}"),
    ("{% autoescape false %}", "{% endautoescape %}"),
    ("{% set whole %}", "{% endset %}{{ whole|replace('e', 'E') }}"),
    ("{% macro listed() %}", "{% endmacro %}{{ listed()|lower }}"),
]


def _template(around: str, wrap: tuple[str, str], inside: list[str], extends: bool) -> str:
    loop = around + wrap[0] + "{% for item in items %}" + "".join(inside) + "{% endfor %}" + wrap[1]
    if extends:
        return '{% extends "base.html" %}\n{% block main %}\n<ol>' + loop + "</ol>\n{% endblock %}\n"
    return "<!doctype html><title>{{ site.title }}</title>\n<ol>" + loop + "</ol>\n"


def _with_index(templates: Path, text: str) -> Path:
    (templates / "site" / "index.html").write_text(text, encoding="utf-8")
    read_templates_again()  # the same folder, another template
    return templates


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copytree(TEMPLATES, tmp_path_factory.mktemp("frame") / "templates"))


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    around=st.sampled_from(AROUND + AROUND_READING),
    wrap=st.sampled_from(WRAPS),
    inside=st.lists(st.sampled_from(WRITES_ENTRIES + READS_ENTRIES), min_size=1, max_size=4),
    extends=st.booleans(),
    count=st.integers(0, 5),
)
def test_a_listing_from_its_frame_is_the_rendered_listing_for_any_template(
    templates: Path, around: str, wrap: tuple[str, str], inside: list[str], extends: bool, count: int
) -> None:
    _with_index(templates, _template(around, wrap, inside, extends))
    site, issues = _issues(count)
    listed = _listed(site, issues, templates)
    frame = listing_frame(site, count, templates)
    plain = around not in AROUND_READING and wrap == ("", "") and not set(inside) & set(READS_ENTRIES)
    assert (frame is not None) == plain  # each use named in the module is told apart
    if frame is not None:
        entries = [i.archive_item or "" for i in listed]
        assert fill(frame, entries) == render_index(site, listed, templates)


def test_a_template_that_includes_another_or_asks_self_gets_no_frame(templates: Path) -> None:
    site, _ = _issues(0)
    (templates / "site" / "_entry.html").write_text("{{ item.html|upper }}", encoding="utf-8")
    for text in (
        "{% for item in items %}{% include '_entry.html' %}{% endfor %}",
        '{% extends "base.html" %}{% block main %}{% for item in items %}{{ item.html }}{% endfor %}'
        "{% endblock %}{% block title %}{{ self.main()|upper }}{% endblock %}",
        '{% extends "base.html" %}{% block main %}{{ super()|upper }}'
        "{% for item in items %}{{ item.html }}{% endfor %}{% endblock %}",
        "{% import '_entry.html' as entry %}{% for item in items %}{{ item.html }}{% endfor %}",
    ):
        assert listing_frame(site, 2, _with_index(templates, text)) is None, text


def test_an_entry_seen_by_a_block_of_another_template_is_watched_there(templates: Path) -> None:
    """A loop's block (`scoped`) may be written by the template that extends the loop's: what
    that block does with the entry counts too."""
    site, issues = _issues(3)
    (templates / "site" / "_listed.html").write_text(
        "<ol>{% for item in items %}{% block entry scoped %}{{ item.html }}{% endblock %}{% endfor %}</ol>",
        encoding="utf-8",
    )
    _with_index(templates, '{% extends "_listed.html" %}')
    listed = _listed(site, issues, templates)
    frame = listing_frame(site, 3, templates)  # the block as the loop's template writes it
    assert frame is not None and fill(frame, [i.archive_item or "" for i in listed]) == render_index(
        site, listed, templates
    )
    for block in ("{{ item.html is string }}", "{{ item.html }}"):
        _with_index(templates, '{% extends "_listed.html" %}{% block entry %}' + block + "{% endblock %}")
        assert listing_frame(site, 3, templates) is None, block


def test_a_site_text_holding_the_mark_gets_no_frame(templates: Path) -> None:
    site, _ = _issues(0)
    _with_index(templates, "{{ site.title }}{% for item in items %}{{ item.html }}{% endfor %}")
    assert listing_frame(site, 2, templates) is not None
    marked = replace(site, title="\U000f00000\U000f0000")  # as the mark of the first entry
    assert listing_frame(marked, 2, templates) is None


def test_older_templates_without_entries_of_their_own_get_no_frame(templates: Path) -> None:
    site, _ = _issues(0)
    _with_index(templates, "{% for item in items %}{{ item.html }}{% endfor %}")
    (templates / "site" / "_archive_item.html").rename(templates / "site" / "_archive_item.kept")
    try:
        read_templates_again()
        assert listing_frame(site, 2, templates) is None
    finally:
        (templates / "site" / "_archive_item.kept").rename(templates / "site" / "_archive_item.html")
        read_templates_again()


@pytest.mark.parametrize(
    "value",
    [None, (), ("a",), (("a",), ()), (("a", "b"), (0, 1)), (("a", 1), (0,)), ["a", []], (("a", "b"), ("0",))],
)
def test_what_is_not_a_frame_is_told(value: object) -> None:
    assert is_frame(value) == (value == (("a",), ()))


def test_a_frame_naming_an_entry_beyond_its_count_is_not_one() -> None:
    assert is_frame((("a", "b"), (1,)), 2) and not is_frame((("a", "b"), (2,)), 2)
    assert not is_frame((("a", "b"), (-1,)), 2) and not is_frame((("a", "b"), (True,)), 2)
