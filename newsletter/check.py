"""`newsletter check`: every problem in the sources and the built output, one line each."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup
from lxml import etree

from .config import Config
from .errors import NewsletterError
from .model import Issue
from .outputs.message import UNSUBSCRIBE_PLACEHOLDER
from .sources.markdown import read_issue

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def check_sources(config: Config) -> tuple[list[Issue], list[Problem]]:
    """Read every issue file, collecting problems instead of stopping at the first."""
    issues: list[Issue] = []
    problems: list[Problem] = []
    files = sorted(config.issues_dir.glob("*.md"))
    if not files:
        problems.append(Problem(str(config.issues_dir), "no issues (*.md); add one with `newsletter import`"))
    for path in files:
        try:
            issue = read_issue(path, max_bytes=config.limits.max_source_bytes)
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
        if not issue.article.authors:
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
    """Size, absolute links, image alt text, and the text part, for one built issue."""
    problems: list[Problem] = []
    html_path, text_path = folder / "email.html", folder / "email.txt"
    if not html_path.exists():
        return [Problem(str(html_path), "missing; run `newsletter build`")]
    data = html_path.read_bytes()
    if len(data) > max_bytes:
        problems.append(
            Problem(
                str(html_path),
                f"{len(data):,} bytes; Gmail clips emails over {max_bytes:,}: shorten the issue",
            )
        )
    soup = BeautifulSoup(data, "lxml")
    for a in soup.find_all("a"):
        href = str(a.get("href") or "")
        if href == UNSUBSCRIBE_PLACEHOLDER or href.startswith("mailto:"):
            continue
        if not href.startswith("https://"):
            problems.append(Problem(str(html_path), f"link {href!r} is not an absolute https URL"))
    for img in soup.find_all("img"):
        if img.get("alt") is None:
            problems.append(Problem(str(html_path), f"image {img.get('src')!r} has no alt text"))
    if UNSUBSCRIBE_PLACEHOLDER not in data.decode("utf-8", "replace"):
        problems.append(Problem(str(html_path), "no unsubscribe link; keep it in templates/email"))
    if not text_path.exists() or not text_path.read_text(encoding="utf-8").strip():
        problems.append(Problem(str(text_path), "the plain-text part is missing or empty"))
    return problems


def check(config: Config, out: Path) -> list[Problem]:
    """All problems in sources and built output; empty when everything is publishable."""
    issues, problems = check_sources(config)
    problems += check_atom(out / "feed.atom", bool(config.site.author))
    for archive in sorted((out / "archive").glob("*.atom")):
        problems += check_atom(archive, bool(config.site.author))
    for issue in issues:
        folder = out / "issues" / issue.slug
        if not folder.exists():
            problems.append(Problem(str(folder), "not built; run `newsletter build`"))
            continue
        problems += check_email(folder, config.limits.max_email_bytes)
    return problems
