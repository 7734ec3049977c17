"""Issues and a site for the output tests, built from small JSON fixtures in tests/data/feeds/.

JSON, not the Markdown issue format: it can carry what a broken source might hand an output
(control characters, lone surrogates as "\\ud800"), which the Markdown reader would refuse.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import factories
import pytest
from factories import make_article, make_issue, paragraph

from newsletter.model import Article, Block, Issue, Person, RelatedLink, Section, Site

ROOT = Path(__file__).resolve().parents[2]
FEEDS_DATA = ROOT / "tests" / "data" / "feeds"


def _people(data: list[dict[str, Any]]) -> tuple[Person, ...]:
    return tuple(Person(p["name"], p.get("url")) for p in data)


def issue_from_json(path: Path) -> Issue:
    """One fixture file -> Issue (see tests/data/feeds/de-three-related-links.json)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    sections = tuple(
        Section(
            s["heading"],
            tuple(
                Block(
                    b["kind"],
                    html=b.get("html", ""),
                    text=b.get("text", ""),
                    related_index=b.get("related_index"),
                )
                for b in s["blocks"]
            ),
        )
        for s in data["sections"]
    )
    article = Article(
        title=data["title"],
        summary=data.get("summary", ""),
        sections=sections,
        authors=_people(data.get("authors", [])),
        translators=_people(data.get("translators", [])),
        tags=tuple(data.get("tags", [])),
        related=tuple(RelatedLink(r["title"], r.get("url")) for r in data.get("related", [])),
    )
    updated = data.get("updated")
    return Issue(
        id=data["id"],
        slug=data["slug"],
        date=dt.datetime.fromisoformat(data["date"]),
        language=data["language"],
        article=article,
        updated=dt.datetime.fromisoformat(updated) if updated else None,
    )


def numbered_issue(n: int) -> Issue:
    """Issue number `n` of a weekly series, for archive tests: later n, later date."""
    date = dt.datetime(2020, 1, 6, 8, 0, tzinfo=dt.UTC) + dt.timedelta(weeks=n)
    article = make_article(
        f"Ausgabe {n}",
        f"Zusammenfassung {n}",
        sections=(Section(None, (paragraph(f"Absatz der Ausgabe {n}."),)),),
        authors=(Person("Redaktion"),),
    )
    return make_issue(article, id=f"tag:example.org,2020:issue-{n}", slug=f"ausgabe-{n}", date=date)


@pytest.fixture
def site() -> Site:
    return Site(
        title="Novastan Newsletter",
        base_url="https://newsletter.example.org/",
        language="de",
        feed_id="tag:example.org,2025:newsletter",
        subtitle="Das europäische Zentralasien-Magazin",
        author="Novastan",
        icon="https://newsletter.example.org/favicon.ico",
        logo="https://newsletter.example.org/logo.png",
        rights="© Novastan e.V.",
        feed_size=50,
    )


@pytest.fixture(scope="module")
def email_site() -> Site:
    """The site of tests/data/email/newsletter.toml."""
    return factories.email_site()


@pytest.fixture
def templates_dir() -> Path:
    return ROOT / "templates"


@pytest.fixture
def fixture_issue() -> Callable[[str], Issue]:
    """fixture_issue("fr-entry-language") -> the Issue in tests/data/feeds/fr-entry-language.json."""
    return lambda name: issue_from_json(FEEDS_DATA / f"{name}.json")


@pytest.fixture
def all_fixture_issues() -> list[Issue]:
    """Every fixture issue, newest first, as render_feeds receives them."""
    issues = [issue_from_json(p) for p in sorted(FEEDS_DATA.glob("*.json"))]
    return sorted(issues, key=lambda i: i.date, reverse=True)


@pytest.fixture
def series() -> Callable[[int], list[Issue]]:
    """series(120) -> issues 1..120, newest first."""
    return lambda count: [numbered_issue(n) for n in range(count, 0, -1)]
