"""The checks read from the files alone: every source issue, the Atom feeds, each issue's built
email files, and the configured unsubscribe URL. `newsletter check` always runs them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from ..config import Config
from ..defaults import is_placeholder_url
from ..errors import NewsletterError
from ..model import Issue
from ..outputs.built import ISSUE_JSON
from ..sources.markdown import read_issue
from .problems import Problem

ATOM = "{http://www.w3.org/2005/Atom}"


def image_warnings(issues: Sequence[Issue]) -> list[Problem]:
    """One line per image that readers would miss: no alt text, or no https address (such an
    image is left out of every output)."""
    warnings: list[Problem] = []
    for issue in issues:
        article = issue.article
        images = [article.image] if article.image else []
        images += [b.image for s in article.sections for b in s.blocks if b.image is not None]
        for image in images:
            if not image.shown:
                warnings.append(
                    Problem(
                        issue.source_path, f"image {image.url!r} is not an absolute https URL; it is left out"
                    )
                )
            elif not image.alt:
                warnings.append(
                    Problem(
                        issue.source_path,
                        f"image {image.url!r} has no alt text; describe it for readers who cannot see it",
                    )
                )
    return warnings


def check_sources(config: Config, read: Sequence[Issue] | None = None) -> tuple[list[Issue], list[Problem]]:
    """Read every issue file, collecting problems instead of stopping at the first.

    `read` are the issues a build has just read from every file (bodies may be left out):
    they are checked as they are, not read again.
    """
    issues: list[Issue] = []
    problems: list[Problem] = []
    found: list[tuple[Path, Issue | None]]
    if read is not None:
        found = [(Path(i.source_path), i) for i in sorted(read, key=lambda i: Path(i.source_path))]
    else:
        found = [(path, None) for path in sorted(config.issues_dir.glob("*.md"))]
    if not found:
        problems.append(Problem(str(config.issues_dir), "no issues (*.md); add one with `newsletter import`"))
    for path, given in found:
        try:
            issue = given or read_issue(
                path, max_bytes=config.limits.max_source_bytes, languages=config.site.languages
            )
        except NewsletterError as e:
            problems.append(Problem(str(path) if not e.path else e.path, e.message))
            continue
        issues.append(issue)
        for r in issue.article.related:
            if not r.url:
                problems.append(
                    Problem(
                        str(path),
                        f"related link {r.title!r} has no URL; add its url or a [import] site_index",
                    )
                )
        if not issue.article.authors and not issue.articles:  # a digest's articles have the authors
            problems.append(Problem(str(path), "no authors; add 'authors: [Name]' to the front matter"))
    for key, what in ((lambda i: i.id, "id"), (lambda i: i.slug, "slug")):
        counts = Counter(key(i) for i in issues)
        for issue in issues:
            if counts[key(issue)] > 1:
                problems.append(Problem(issue.source_path, f"{what} {key(issue)!r} is used by another issue"))
    return issues, problems


def check_atom(path: Path, site_has_author: bool) -> list[Problem]:
    """The RFC 4287 rules a feed reader relies on."""
    p = str(path)
    if not path.exists():
        return [Problem(p, "missing; run `newsletter build`")]
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError as e:
        return [Problem(p, f"not well-formed XML: {e}")]
    problems: list[Problem] = []
    feed_author = root.find(f"{ATOM}author") is not None or site_has_author
    ids = Counter(e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry"))
    for entry_id, n in ids.items():
        if n > 1:
            problems.append(Problem(p, f"entry id {entry_id} appears {n} times"))
    for entry in root.iter(f"{ATOM}entry"):
        eid = entry.findtext(f"{ATOM}id") or "?"
        for child in ("id", "title", "updated"):
            if entry.find(f"{ATOM}{child}") is None:
                problems.append(Problem(p, f"entry {eid} has no <{child}>"))
        if entry.find(f"{ATOM}author") is None and not feed_author:
            problems.append(Problem(p, f"entry {eid} has no author and the feed has none"))
        alternates = Counter(
            (link.get("type"), link.get("hreflang"))
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        )
        if any(n > 1 for n in alternates.values()):
            problems.append(
                Problem(p, f"entry {eid} has more than one alternate link of one type and language")
            )
        if entry.find(f"{ATOM}content") is None and not alternates:
            problems.append(Problem(p, f"entry {eid} has neither content nor an alternate link"))
    return problems


def check_email(folder: Path, max_bytes: int) -> list[Problem]:
    """The built email files of one issue exist, and the plain-text part is not empty."""
    html_path, text_path = folder / "email.html", folder / "email.txt"
    problems: list[Problem] = []
    for path in (html_path, folder / ISSUE_JSON):
        if not path.exists():
            problems.append(Problem(str(path), "missing; run `newsletter build`"))
    if not text_path.exists() or not text_path.read_text(encoding="utf-8").strip():
        problems.append(Problem(str(text_path), "the plain-text part is missing or empty"))
    return problems


def check_unsubscribe(config: Config) -> list[Problem]:
    """A configured unsubscribe URL must be one a reader can reach, not an example address."""
    url = config.site.unsubscribe_url
    if not url or not is_placeholder_url(url):
        return []
    return [
        Problem(
            config.source or str(config.root / "newsletter.toml"),
            f"[site] unsubscribe_url {url!r} is a placeholder no reader can reach; set it to the "
            "address of `newsletter serve` + unsubscribe/{token}, or remove it to unsubscribe by email only",
        )
    ]
