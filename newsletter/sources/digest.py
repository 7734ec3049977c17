"""`newsletter digest`: one issue bundling everything an edition published since a point in time.

The articles come from `issues/` (the edition's single-article issues; a digest is never
bundled into another) or from the magazine's own RSS/Atom feed (`[import] site_feed`, read
with feedparser: RSS-to-email). The point in time is a date, or `last-sent`: the date of the
newest issue of the edition of which the send ledger records a delivered message, so a
digest holds exactly what its readers have not had yet. Articles are listed newest first,
as the archive and the feeds list issues.

The digest is an ordinary issue file (front matter `articles:`, no body), written like an
import: atomically, never over an existing file, read back before it takes its name.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from ..config import Config
from ..errors import NewsletterError
from ..html_tree import html_tree
from ..inline_text import clean_inline_text
from ..model import Article, Image, Issue, Language, Teaser
from ..sanitize import pixels
from .front_matter import slugify
from .importer import mint_id, write_issue
from .markdown import read_issues
from .related import read_location

#: How long a standfirst taken from a feed's summary may be, in characters.
SUMMARY_MAX = 300

Source = Literal["issues", "feed"]
LAST_SENT: Literal["last-sent"] = "last-sent"


class NothingNew(NewsletterError):
    """Nothing was published in the edition since `since`: no digest is written."""

    def __init__(self, since: dt.datetime, language: str):
        self.since, self.language = since, language
        super().__init__(
            f"nothing published in the {language} edition since {since.isoformat()}; no digest written"
        )


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(microsecond=0)


def last_sent(config: Config, language: str, issues: Sequence[Issue]) -> dt.datetime:
    """The date of the newest issue of `language` of which a message was delivered."""
    from ..delivery.ledger import SendLedger
    from ..store import open_store

    with SendLedger(open_store(config)) as ledger:
        delivered = ledger.delivered_issues()
    dates = [i.date for i in issues if i.language == language and i.id in delivered]
    if not dates:
        raise NewsletterError(
            f"no issue of the {language} edition has been sent yet; pass --since DATE for the first digest"
        )
    return max(dates)


def teasers_from_issues(
    issues: Sequence[Issue], language: str, since: dt.datetime, until: dt.datetime
) -> list[Teaser]:
    """The edition's single-article issues dated after `since` and not after `until`, newest
    first, each named by its file."""
    chosen = [i for i in issues if i.language == language and not i.articles and since < i.date <= until]
    chosen.sort(key=lambda i: (i.date, i.slug), reverse=True)
    return [
        Teaser(title=i.article.title, slug=i.slug, date=i.date, source=Path(i.source_path).name)
        for i in chosen
    ]


def _shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:–-") + "…"


def _when(entry: Any) -> dt.datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not isinstance(parsed, time.struct_time):
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC)


def _feed_image(entry: Any) -> Image | None:
    """The entry's image (Media RSS content or thumbnail, or an image enclosure), if https."""
    candidates = [*entry.get("media_content", []), *entry.get("media_thumbnail", [])]
    candidates += [
        {"url": e.get("href"), **e}
        for e in entry.get("enclosures", [])
        if str(e.get("type", "")).startswith("image/")
    ]
    for c in candidates:
        url = str(c.get("url") or "")
        medium = str(c.get("medium") or c.get("type") or "image")
        if url.startswith("https://") and medium.startswith("image"):
            return Image(url, width=pixels(c.get("width")), height=pixels(c.get("height")))
    return None


def _text(html: str) -> str:
    return clean_inline_text(" ".join(html_tree(html).get_text().split()))


def teasers_from_feed(
    data: bytes, location: str, language: str, since: dt.datetime, until: dt.datetime
) -> list[Teaser]:
    """The feed's entries dated after `since` and not after `until`, newest first. Entries in
    another language (by the feed's or the entry's language) are left out."""
    import feedparser

    feed = feedparser.parse(data)
    if not feed.entries and (feed.bozo or not feed.get("version")):
        raise NewsletterError("is not an RSS or Atom feed; check [import] site_feed", path=location)
    feed_language = str(feed.feed.get("language") or "")
    out = []
    for entry in feed.entries:
        when = _when(entry)
        title = _text(str(entry.get("title") or ""))
        if when is None or not title or not since < when <= until:
            continue
        own = str(entry.get("language") or feed_language)
        if own and not Language(language).matches(own):
            continue
        url = str(entry.get("link") or "")
        if not url.startswith("https://"):
            raise NewsletterError(
                f"the entry {title!r} links to {url!r}, not an https URL; a digest links only https pages",
                path=location,
            )
        summary = _shorten(_text(str(entry.get("summary") or "")))
        out.append(Teaser(title=title, url=url, summary=summary, image=_feed_image(entry), date=when))
    out.sort(key=lambda t: (t.date or since, t.url), reverse=True)
    return out


def write_digest(
    config: Config,
    *,
    language: str | None = None,
    since: dt.datetime | Literal["last-sent"] = LAST_SENT,
    source: Source | None = None,
    title: str | None = None,
    date: dt.datetime | None = None,
    slug: str | None = None,
) -> Path:
    """Write a digest issue of the edition in `language` into issues/; return its path.

    `source` is where the articles come from: "feed" (`[import] site_feed`, the default when it
    is set) or "issues". Raises `NothingNew` when nothing was published since `since`.
    """
    from ..outputs.labels import labels_for

    lang = config.edition_language(language or config.site.language)
    limits = config.limits
    when = date if date is not None else _local_now()
    issues = read_issues(
        config.issues_dir, max_bytes=limits.max_source_bytes, languages=config.site.languages
    )
    start = last_sent(config, lang, issues) if since == LAST_SENT else since
    assert isinstance(start, dt.datetime)
    source = source or ("feed" if config.importing.site_feed else "issues")
    if source == "feed":
        if not config.importing.site_feed:
            raise NewsletterError("--source feed needs [import] site_feed: the magazine's RSS or Atom feed")
        location = config.importing.site_feed.replace("{language}", lang)
        data = read_location(
            location, root=config.root, timeout=limits.fetch_timeout, max_bytes=limits.max_index_bytes
        )
        if len(data) > limits.max_index_bytes:
            raise NewsletterError(
                f"is over the limit of {limits.max_index_bytes:,} bytes; raise [limits] max_index_bytes",
                path=location,
            )
        teasers = teasers_from_feed(data, location, lang, start, when)
    else:
        teasers = teasers_from_issues(issues, lang, start, when)
    if not teasers:
        raise NothingNew(start, lang)
    site = config.site.for_edition(lang)
    name = title or labels_for(config.templates_dir, lang)["digest_title"].format(
        site=site.author or site.title
    )
    slug = slugify(slug or f"{name} {when:%Y-%m-%d}", language=lang)
    issue = Issue(
        id=mint_id(config.site.base_url, when, slug),
        slug=slug,
        date=when,
        language=lang,
        article=Article(title=name, summary="", sections=()),
        articles=tuple(teasers),
    )
    return write_issue(issue, config.issues_dir, max_bytes=limits.max_source_bytes)
