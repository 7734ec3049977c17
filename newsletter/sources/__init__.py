"""Everything that reads: issue files, text dumps, HTML pages, and the site profiles.

This package module stays light (the model only), so a build that finds every issue in its
cache can check the set of issues without loading the parsers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, TypeVar

from ..errors import NewsletterError


class Listed(Protocol):
    """What orders issues and tells them apart: an `Issue`, or what a build keeps of one."""

    @property
    def id(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def date(self) -> dt.datetime: ...
    @property
    def source_path(self) -> str: ...


L = TypeVar("L", bound=Listed)


def unique_newest_first(issues: Sequence[L]) -> list[L]:
    """The issues newest first; two with the same id or slug are an error naming the file."""
    seen: dict[str, str] = {}
    for issue in issues:
        for key in (issue.id, "slug:" + issue.slug):
            if key in seen:
                raise NewsletterError(
                    f"has the same {'slug' if key.startswith('slug:') else 'id'} as {seen[key]}; "
                    "every issue needs its own",
                    path=issue.source_path,
                )
            seen[key] = issue.source_path
    return sorted(issues, key=lambda i: (i.date, i.slug), reverse=True)
