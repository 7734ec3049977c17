"""What every reader (text dump, HTML page, Markdown) hands the importer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model import Article


@dataclass(frozen=True)
class Draft:
    """An article read from outside, before it gets an id, a date and a file of its own.

    `language` and `date` are None when the source did not say; `profile` names the site
    profile whose rules were applied.
    """

    article: Article
    language: str | None = None
    date: dt.datetime | None = None
    profile: str | None = None
