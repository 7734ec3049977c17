"""`newsletter check`: every problem in the sources and the built output, one line each.

The sources, feeds and built files are checked by judges/files.py; every built issue then goes
before the other judges (newsletter/judges/): the provider rules and document structure always,
SpamAssassin and axe-core in Chromium unless `fast`. The message judged is the one `send` makes of
the built email.html and email.txt (outputs/mime.py `built_message`), to a sample recipient.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .config import Config
from .defaults import for_delivery, sample_unsubscribe_url
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
from .judges.files import check_atom, check_email, check_sources, check_unsubscribe, image_warnings
from .judges.problems import Problem
from .judges.provider import TOKEN_LENGTH, judge_html, judge_message
from .judges.report import CheckResult, IssueReport
from .judges.settings import CheckSettings, check_settings
from .judges.spam import SPAMASSASSIN, SpamVerdict, score_message, spamassassin_path
from .model import Issue
from .outputs.built import ISSUE_JSON, read_built_issue
from .outputs.mime import built_message

__all__ = ["CheckResult", "Problem", "check", "run_checks"]


def _message(config: Config, out: Path, folder: Path, report: IssueReport) -> bytes | None:
    """The message `send` would make of the issue built in `folder`, or None when it cannot be
    made (a missing built file is named by check_email; anything else is a problem here)."""
    if not all((folder / name).exists() for name in ("email.html", "email.txt", ISSUE_JSON)):
        return None
    try:
        return built_message(config, out, read_built_issue(folder))
    except NewsletterError as e:
        report.problems.append(Problem(e.path or str(folder), e.message))
        return None


def _judge_provider(
    config: Config, folder: Path, message: bytes | None, settings: CheckSettings, report: IssueReport
) -> None:
    html_path, text_path = folder / "email.html", folder / "email.txt"
    if html_path.exists():
        html = for_delivery(config, html_path.read_text(encoding="utf-8", errors="replace"), html=True)
        url = sample_unsubscribe_url(config, "T" * TOKEN_LENGTH)
        verdict = judge_html(html_path, html, unsubscribe_url=url, max_bytes=config.limits.max_email_bytes)
        report.problems += verdict.problems + structure_problems(html_path, html)
        report.sizes.update(verdict.sizes)
    if message is not None:
        verdict = judge_message(
            folder,
            message,
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


_Pending = list[tuple[IssueReport, "Future[SpamVerdict]"]]


def _start_spam(
    result: CheckResult, messages: dict[str, bytes], settings: CheckSettings, pool: ThreadPoolExecutor
) -> _Pending:
    """Start SpamAssassin on every message (it runs while the browser judges the pages)."""
    exe = spamassassin_path()
    if not exe:
        _missing_tool(result, settings, SPAMASSASSIN, "apt-get install spamassassin")
        return []
    return [
        (report, pool.submit(score_message, messages[report.folder], executable=exe))
        for report in result.issues
        if report.folder in messages
    ]


def _finish_spam(result: CheckResult, settings: CheckSettings, pending: _Pending) -> None:
    for report, future in pending:
        try:
            verdict = future.result()
        except NewsletterError as e:
            report.problems.append(Problem(report.folder, e.message))
            continue
        report.spam = verdict
        result.tools["spamassassin"] = verdict.version or "?"
        if verdict.score > settings.spam_limit:
            rules = ", ".join(f"{r.name} {r.points:+.1f}" for r in verdict.rules if r.points > 0)
            report.problems.append(
                Problem(
                    report.folder,
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
    result.warnings += image_warnings(issues)
    messages: dict[str, bytes] = {}  # by the issue's folder: the message `send` would make
    for issue in issues:
        folder = out / "issues" / issue.slug
        if now is not None and issue.date > now:
            continue
        if not folder.exists():
            result.problems.append(Problem(str(folder), "not built; run `newsletter build`"))
            continue
        report = IssueReport(slug=issue.slug, folder=str(folder))
        report.problems += check_email(folder, config.limits.max_email_bytes)
        message = _message(config, out, folder, report)
        if message is not None:
            messages[report.folder] = message
        _judge_provider(config, folder, message, settings, report)
        result.issues.append(report)
    site_index = out / "index.html"
    if site_index.exists():
        result.problems += structure_problems(site_index, site_index.read_bytes())
    if not fast:
        # Each SpamAssassin process spends seconds loading its rules: a few at a time, meanwhile.
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            pending = _start_spam(result, messages, settings, pool)
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
