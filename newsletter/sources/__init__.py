"""Everything that reads: issue files, text dumps, HTML pages, and the site profiles.

This package module stays light (the model only), so a build that finds every issue in its
cache can check the set of issues without loading the parsers.
"""

from __future__ import annotations

from ..errors import NewsletterError
from ..model import Issue


def unique_newest_first(issues: list[Issue]) -> list[Issue]:
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
