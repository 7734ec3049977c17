"""Test data made in one place: small issues built in code, and the email fixtures read from disk.

A test that needs "an issue" takes one from here and changes only what it is about, so a new
field in the model is added here once, not in every test that builds an Issue.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from newsletter.config import load_config
from newsletter.model import Article, Block, Issue, Site
from newsletter.sources.markdown import read_issue

ROOT = Path(__file__).resolve().parents[1]
EMAIL_DATA = ROOT / "tests" / "data" / "email"
DATE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def make_article(title: str = "Titel", summary: str = "ok", **fields: Any) -> Article:
    """An Article with no body unless `sections` is given."""
    return Article(title=title, summary=summary, sections=fields.pop("sections", ()), **fields)


def make_issue(article: Article | None = None, **fields: Any) -> Issue:
    """An Issue of `article` (default: `make_article()`), dated DATE, in German."""
    values: dict[str, Any] = {"id": "tag:x,2025:1", "slug": "s", "date": DATE, "language": "de"}
    return Issue(article=article or make_article(), **{**values, **fields})


def paragraph(text: str) -> Block:
    """A paragraph block whose HTML is its text (no markup)."""
    return Block("paragraph", html=text, text=text)


def email_issue(name: str) -> Issue:
    """One of the Markdown issues in tests/data/email/."""
    return read_issue(EMAIL_DATA / name)


def email_site() -> Site:
    """The site of tests/data/email/newsletter.toml."""
    return load_config(EMAIL_DATA / "newsletter.toml").site


__all__ = ["DATE", "EMAIL_DATA", "email_issue", "email_site", "make_article", "make_issue", "paragraph"]
