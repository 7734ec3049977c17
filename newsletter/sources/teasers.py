"""A digest's `articles:` front matter: the articles an issue bundles, read into `Teaser`s.

Each item is one of:

- an issue file of `issues/` (``2025-11-20-kasachstan.md``) or its slug (``kasachstan``): its
  title, summary, lead image, language and date are read from that file, and the teaser links
  to its page here;
- an article's absolute https URL: nothing is fetched, so the URL is all the teaser shows;
- a mapping ``{title, url, summary, image, date, language}``, ``image`` being an https URL or a mapping
  ``{url, alt, caption, credit, width, height}`` as front matter ``image:`` takes it.

A mistake is one error naming the file and the item's line. A digest bundles articles, not
other digests: an issue file that has `articles:` itself is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import NewsletterError, did_you_mean
from ..model import Image, Issue, Teaser
from .front_matter import (
    FRONT_MATTER,
    IMAGE_KEYS,
    field_line,
    image_field,
    is_slug,
    language_field,
    parse_datetime,
    read_fields,
    text_field,
    yaml_loader,
)

#: The keys of an inline article.
ARTICLE_KEYS = ("title", "url", "summary", "image", "date", "language")
SLUG_FROM_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}-(.+)$")

#: Reads one referenced issue file (markdown.read_issue, without resolving articles again).
IssueReader = Callable[[Path], Issue]


def item_lines(text: str) -> list[int]:
    """The line (1-based, in the file) where each item of `articles:` starts, for errors."""
    m = FRONT_MATTER.match(text)
    if not m:
        return []
    import yaml

    try:
        root = yaml.compose(m.group(1), Loader=yaml_loader())
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "articles" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 2 for item in value.value]  # the front matter is from line 2
    return []


def file_slug(path: Path) -> str:
    """The slug a file's name gives an issue: its stem without the leading date."""
    m = SLUG_FROM_FILE.match(path.stem)
    return m.group(1) if m else path.stem


def find_issue_file(name: str, issues_dir: Path) -> Path | None:
    """The file of `issues_dir` an `articles:` item names (a file name or a slug), or None."""
    if name.endswith(".md"):
        target = issues_dir / name
        inside = target.resolve().is_relative_to(issues_dir.resolve())
        return target if inside and target.is_file() else None
    return next((p for p in sorted(issues_dir.glob("*.md")) if file_slug(p) == name), None)


def referenced_files(data: bytes, issues_dir: Path) -> list[Path]:
    """The issue files a source's `articles:` names (those that exist), for the build cache's
    key: a digest is read again when an article it bundles changes. Cheap for other files."""
    if b"articles:" not in data:
        return []
    m = FRONT_MATTER.match(data.decode("utf-8", "replace"))
    try:
        fields = read_fields(m.group(1), "") if m else None
    except NewsletterError:
        return []
    items = fields.get("articles") if isinstance(fields, dict) else None
    if not isinstance(items, list):
        return []
    names = [i for i in items if isinstance(i, str) and not i.startswith(("https://", "http://"))]
    found = (find_issue_file(n.strip(), issues_dir) for n in names)
    return [p for p in found if p is not None]


class _Item:
    """One item of `articles:` being read: its errors name the file and the item's line."""

    def __init__(self, path: str, number: int, line: int | None):
        self.path, self.number, self.line = path, number, line

    def error(self, what: str) -> NewsletterError:
        return NewsletterError(f"articles: item {self.number}: {what}", path=self.path, line=self.line)

    def https(self, value: Any, key: str) -> str:
        url = value.strip() if isinstance(value, str) else ""
        if not url.startswith("https://") or not url.isprintable() or " " in url or len(url) <= 8:
            shown = f" ({value!r})" if isinstance(value, str) and value else ""
            raise self.error(f"'{key}' must be an absolute https URL like https://example.org/article{shown}")
        return url

    def keys(self, mapping: dict[Any, Any], known: tuple[str, ...], where: str) -> None:
        for key in mapping:
            if key not in known:
                hint = did_you_mean(str(key), known) or f"; the keys are {', '.join(known)}"
                raise self.error(f"unknown key {key!r}{where}{hint}")

    def image(self, value: Any) -> Image | None:
        """An image as front matter `image:` takes it (one reader for both), https only."""
        if isinstance(value, dict):
            self.keys(value, IMAGE_KEYS, " in 'image'")
        try:
            image = image_field(value, None, self.path)
        except NewsletterError as error:
            raise self.error(error.message.removeprefix("front matter ")) from None
        if image is not None:
            self.https(image.url, "image: url" if isinstance(value, dict) else "image")
        return image


def _inline(item: _Item, value: dict[Any, Any]) -> Teaser:
    item.keys(value, ARTICLE_KEYS, "")
    title = text_field(value.get("title"), "articles: title", item.path)
    if not title:
        raise item.error("an article given inline needs a title: {title: …, url: …}")
    date = value.get("date")
    when = parse_datetime(date, "'date'", item.path, item.line) if date not in (None, "") else None
    return Teaser(
        title=title,
        url=item.https(value.get("url"), "url"),
        summary=text_field(value.get("summary"), "articles: summary", item.path),
        image=item.image(value.get("image")),
        language=language_field(value.get("language"), "articles: language", item.path, item.line) or "",
        date=when,
    )


def _from_issue(
    item: _Item, name: str, issues_dir: Path, read: IssueReader, not_after: dt.datetime | None
) -> Teaser:
    if name.endswith(".md"):
        target = find_issue_file(name, issues_dir)
        what = f"no issue file {name!r} in {issues_dir}"
    else:
        if not is_slug(name):
            raise item.error(
                f"{name!r} is neither an https URL, an issue file (….md) nor an issue's slug (a-z, 0-9, '-')"
            )
        target = find_issue_file(name, issues_dir)
        what = f"no issue file with the slug {name!r} in {issues_dir}"
    if target is None:
        raise item.error(f"{what}; name a file of issues/ (or its slug), or give the article's URL")
    issue = read(target)
    if issue.articles:
        raise item.error(f"{target.name} is a digest itself; a digest bundles articles, not other digests")
    if not_after is not None and issue.date > not_after:
        raise item.error(
            f"{target.name} is dated after this digest ({issue.date.isoformat()}); "
            "its page is not published when the digest is: date the digest later"
        )
    return Teaser(
        title=issue.article.title,
        slug=issue.slug,
        summary=issue.article.summary,
        image=issue.article.lead_image,
        language=issue.language,
        date=issue.date,
        source=name,
    )


def articles_field(
    value: Any,
    text: str,
    path: str,
    issues_dir: Path,
    read: IssueReader,
    not_after: dt.datetime | None = None,
) -> tuple[Teaser, ...]:
    """`articles:` of the issue file at `path` (whose text is `text`) as teasers, in order; an
    issue file dated after `not_after` (the digest's date) is refused."""
    if value is None:
        return ()
    lines = item_lines(text)
    if not isinstance(value, list):
        line = field_line(text, "articles")
        raise NewsletterError(
            "front matter 'articles' must be a list of issue files, article URLs or {title, url, …}",
            path=path,
            line=line,
        )
    out = []
    for n, v in enumerate(value):
        item = _Item(path, n + 1, lines[n] if n < len(lines) else None)
        if isinstance(v, dict):
            out.append(_inline(item, v))
        elif isinstance(v, str) and v.strip().lower().startswith(("http://", "https://", "//")):
            url = item.https(v, "url")
            out.append(Teaser(title=url, url=url))
        elif isinstance(v, str) and v.strip():
            out.append(_from_issue(item, v.strip(), issues_dir, read, not_after))
        else:
            raise item.error("write an issue file, an article's https URL or {title: …, url: …}")
    return tuple(out)
