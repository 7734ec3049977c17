"""`newsletter check`: every problem in the sources and the built output, one line each.

Besides the sources and feeds, every built issue goes before the judges (newsletter/judges/):
the provider rules and document structure always, SpamAssassin and axe-core in Chromium
unless `fast`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from lxml import etree

from .config import Config
from .defaults import for_delivery, is_placeholder_url, sample_unsubscribe_url
from .errors import NewsletterError
from .judges.accessibility import (
    AXE_RELATIVE,
    CHROMIUM,
    audit_pages,
    audit_problems,
    axe_script_path,
    chromium_path,
    structure_problems,
)
from .judges.problems import Problem
from .judges.provider import TOKEN_LENGTH, judge_html, judge_message
from .judges.report import CheckResult, IssueReport
from .judges.settings import CheckSettings, check_settings
from .judges.spam import SPAMASSASSIN, SpamVerdict, score_message, spamassassin_path
from .model import Issue
from .outputs.built import ISSUE_JSON
from .sources.markdown import read_issue

__all__ = ["CheckResult", "Problem", "check", "run_checks"]

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


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
    """The built email files of one issue exist, and the plain-text part is not empty."""
    html_path, text_path = folder / "email.html", folder / "email.txt"
    problems: list[Problem] = []
    for path in (html_path, folder / "message.eml", folder / ISSUE_JSON):
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


def _judge_provider(config: Config, folder: Path, settings: CheckSettings, report: IssueReport) -> None:
    html_path, message_path, text_path = folder / "email.html", folder / "message.eml", folder / "email.txt"
    if html_path.exists():
        html = for_delivery(config, html_path.read_text(encoding="utf-8", errors="replace"), html=True)
        url = sample_unsubscribe_url(config, "T" * TOKEN_LENGTH)
        verdict = judge_html(html_path, html, unsubscribe_url=url, max_bytes=config.limits.max_email_bytes)
        report.problems += verdict.problems + structure_problems(html_path, html)
        report.sizes.update(verdict.sizes)
    if message_path.exists():
        verdict = judge_message(
            message_path,
            message_path.read_bytes(),
            subject_warn_length=settings.subject_warn_length,
            one_click=bool(config.site.unsubscribe_url),
        )
        report.problems += verdict.problems
        report.warnings += verdict.warnings
        report.sizes.update(verdict.sizes)
        report.subject = verdict.subject
    if text_path.exists():
        report.sizes["email_txt"] = text_path.stat().st_size
    page = folder / "index.html"
    if page.exists():
        report.sizes["web_page"] = page.stat().st_size
        report.problems += structure_problems(page, page.read_bytes())
    else:
        report.problems.append(Problem(str(page), "missing; run `newsletter build`"))


def _missing_tool(result: CheckResult, settings: CheckSettings, what: str, how: str) -> None:
    """A judge that cannot run: a problem in CI, a warning for an editor's quick check."""
    problem = Problem(what, f"not installed, so this judge did not run: {how}, or run `check --fast`")
    (result.problems if settings.require_tools else result.warnings).append(problem)


_Pending = list[tuple[IssueReport, Path, "Future[SpamVerdict]"]]


def _start_spam(result: CheckResult, settings: CheckSettings, pool: ThreadPoolExecutor) -> _Pending:
    """Start SpamAssassin on every message (it runs while the browser judges the pages)."""
    exe = spamassassin_path()
    if not exe:
        _missing_tool(result, settings, SPAMASSASSIN, "apt-get install spamassassin")
        return []
    pending: _Pending = []
    for report in result.issues:
        path = Path(report.folder) / "message.eml"
        if path.exists():
            pending.append((report, path, pool.submit(score_message, path.read_bytes(), executable=exe)))
    return pending


def _finish_spam(result: CheckResult, settings: CheckSettings, pending: _Pending) -> None:
    for report, path, future in pending:
        try:
            verdict = future.result()
        except NewsletterError as e:
            report.problems.append(Problem(str(path), e.message))
            continue
        report.spam = verdict
        result.tools["spamassassin"] = verdict.version or "?"
        if verdict.score > settings.spam_limit:
            rules = ", ".join(f"{r.name} {r.points:+.1f}" for r in verdict.rules if r.points > 0)
            report.problems.append(
                Problem(
                    str(path),
                    f"SpamAssassin score {verdict.score:.1f} is above the limit {settings.spam_limit:.1f} "
                    f"([check] spam_limit): {rules}",
                )
            )


def _judge_pages(config: Config, out: Path, result: CheckResult, settings: CheckSettings) -> None:
    chromium = chromium_path()
    axe_script = axe_script_path(config.root, Path.cwd())
    if chromium is None:
        _missing_tool(result, settings, str(CHROMIUM), "apt-get install chromium")
        return
    if axe_script is None:
        _missing_tool(
            result,
            settings,
            str(AXE_RELATIVE),
            "run `npm install` in the newsletter's folder (`make build` does, where npm is installed; "
            "package.json lists axe-core) or set NEWSLETTER_AXE to an axe.min.js",
        )
        return
    pages: list[Path] = []
    for report in result.issues:
        pages += [
            p for p in (Path(report.folder) / "email.html", Path(report.folder) / "index.html") if p.exists()
        ]
    site_index = out / "index.html"
    if site_index.exists():
        pages.append(site_index)
    if not pages:
        return
    try:
        audits, version = audit_pages(pages, axe_script=axe_script, chromium=chromium)
    except NewsletterError as e:
        result.problems.append(Problem(str(chromium), e.message))
        return
    result.tools["axe-core"] = version
    for report in result.issues:
        for name in ("email.html", "index.html"):
            audit = audits.get(Path(report.folder) / name)
            if audit is not None:
                report.pages.append(audit)
                report.problems += audit_problems(audit)
    if site_index in audits:
        result.site_pages.append(audits[site_index])
        result.problems += audit_problems(audits[site_index])


def run_checks(
    config: Config,
    out: Path,
    *,
    settings: CheckSettings | None = None,
    fast: bool = False,
    now: dt.datetime | None = None,
    sources: Sequence[Issue] | None = None,
) -> CheckResult:
    """Check sources and built output, and judge every built issue; problems, warnings, reports.

    `fast` leaves out the judges that need outside programs (SpamAssassin, Chromium + axe-core);
    what is read from the files themselves is always checked. With `now`, issues dated later
    are expected to be absent from the output (a `build` with the same `now` leaves them out).
    `sources` are every issue the build just read (see `check_sources`).
    """
    settings = settings or check_settings(config)
    result = CheckResult(spam_limit=settings.spam_limit)
    issues, problems = check_sources(config, sources)
    problems += check_unsubscribe(config)
    problems += check_atom(out / "feed.atom", bool(config.site.author))
    for archive in sorted((out / "archive").glob("*.atom")):
        problems += check_atom(archive, bool(config.site.author))
    result.problems += problems
    for issue in issues:
        folder = out / "issues" / issue.slug
        if now is not None and issue.date > now:
            continue
        if not folder.exists():
            result.problems.append(Problem(str(folder), "not built; run `newsletter build`"))
            continue
        report = IssueReport(slug=issue.slug, folder=str(folder))
        report.problems += check_email(folder, config.limits.max_email_bytes)
        _judge_provider(config, folder, settings, report)
        result.issues.append(report)
    site_index = out / "index.html"
    if site_index.exists():
        result.problems += structure_problems(site_index, site_index.read_bytes())
    if not fast:
        # Each SpamAssassin process spends seconds loading its rules: a few at a time, meanwhile.
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            pending = _start_spam(result, settings, pool)
            _judge_pages(config, out, result, settings)
            _finish_spam(result, settings, pending)
    for report in result.issues:
        result.problems += report.problems
        result.warnings += report.warnings
    return result


def check(
    config: Config, out: Path, *, settings: CheckSettings | None = None, fast: bool = False
) -> list[Problem]:
    """All problems in sources and built output; empty when everything is publishable."""
    return run_checks(config, out, settings=settings, fast=fast).problems
