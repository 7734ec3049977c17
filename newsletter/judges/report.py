"""The judges' findings per issue: a table for people (`check --report`), JSON for CI (`--json`).

Nothing here measures; it arranges what `newsletter.check` collected. The JSON holds no
timestamps, so the same build gives the same file.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..errors import NewsletterError
from .accessibility import FAILING_IMPACTS, PageAudit
from .problems import Problem
from .spam import SpamVerdict


@dataclass
class IssueReport:
    """Everything the judges found for one built issue."""

    slug: str
    folder: str
    subject: str = ""
    sizes: dict[str, int] = field(default_factory=dict)
    spam: SpamVerdict | None = None
    pages: list[PageAudit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class CheckResult:
    """All problems (they fail `check`), warnings (they do not) and the per-issue reports."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    issues: list[IssueReport] = field(default_factory=list)
    site_pages: list[PageAudit] = field(default_factory=list)
    spam_limit: float = 3.0
    tools: dict[str, str] = field(default_factory=dict)  # judge -> version, "" when not run

    @property
    def ok(self) -> bool:
        return not self.problems


def _problems(items: list[Problem]) -> list[dict[str, str]]:
    return [{"path": p.path, "message": p.message} for p in items]


def report_data(result: CheckResult) -> dict[str, Any]:
    """The result as plain JSON-ready data (the shape of `check --json`)."""
    return {
        "ok": result.ok,
        "spam_limit": result.spam_limit,
        "tools": dict(sorted(result.tools.items())),
        "problems": _problems(result.problems),
        "warnings": _problems(result.warnings),
        "issues": [
            {
                "slug": r.slug,
                "folder": r.folder,
                "subject": r.subject,
                "subject_length": len(r.subject),
                "sizes": dict(sorted(r.sizes.items())),
                "spam": asdict(r.spam) if r.spam else None,
                "pages": [asdict(p) for p in r.pages],
                "problems": _problems(r.problems),
                "warnings": _problems(r.warnings),
            }
            for r in result.issues
        ],
        "site": {"pages": [asdict(p) for p in result.site_pages]},
    }


def write_json(result: CheckResult, path: Path) -> None:
    """Write the JSON report (UTF-8, sorted as built, newline-terminated)."""
    text = json.dumps(report_data(result), ensure_ascii=False, indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise NewsletterError(f"cannot write the JSON report: {e.strerror}", path=str(path)) from None


def _kb(n: int | None) -> str:
    return "–" if n is None else f"{n / 1000:.1f} KB"


def _spam_cells(spam: SpamVerdict | None, limit: float) -> tuple[str, str]:
    if spam is None:
        return "not run", ""
    mark = "" if spam.score <= limit else " ✗"
    hits = [f"{r.name} {r.points:+.1f}" for r in spam.rules if r.points]
    informational = len(spam.rules) - len(hits)
    if informational:
        hits.append(f"+{informational} at 0")
    return f"{spam.score:.1f} / {limit:.1f}{mark}", "\n".join(hits)


def _page_cells(pages: list[PageAudit], axe_ran: bool) -> tuple[str, str]:
    if not axe_ran:
        return "not run", "not run"
    lines, contrast = [], []
    for page in pages:
        name = Path(page.path).name
        failing = sum(1 for v in page.axe if v.impact in FAILING_IMPACTS)
        lines.append(f"{name} {failing} ({len(page.axe)})")
        light = sum(1 for c in page.contrast if c.scheme == "light")
        contrast.append(f"{name} {light} / {len(page.contrast) - light}")
    return "\n".join(lines), "\n".join(contrast)


def render_table(result: CheckResult, width: int = 140) -> str:
    """The per-issue table: spam score and rules, axe violations, contrast, sizes, problems."""
    table = Table(title="newsletter check", show_lines=True)
    table.add_column("issue", overflow="fold", max_width=28)
    table.add_column("spam", no_wrap=True)
    table.add_column("rules hit", no_wrap=True)
    table.add_column("axe serious+ (all)", no_wrap=True)
    table.add_column("contrast fails\nlight / dark", no_wrap=True)
    table.add_column("sizes", no_wrap=True)
    table.add_column("problems", overflow="fold")
    axe_ran = bool(result.tools.get("axe-core"))
    for r in result.issues:
        score, rules = _spam_cells(r.spam, result.spam_limit)
        axe, contrast = _page_cells(r.pages, axe_ran)
        sizes = "\n".join(
            [
                f"html {_kb(r.sizes.get('email_html'))}",
                f"sent {_kb(r.sizes.get('email_html_personalized'))}",
                f"text {_kb(r.sizes.get('email_txt'))}",
                f".eml {_kb(r.sizes.get('message_eml'))}",
            ]
        )
        subject = f"{r.slug}\nsubject: {len(r.subject)} chars"
        table.add_row(
            subject, score, rules, axe, contrast, sizes, f"{len(r.problems)} ({len(r.warnings)} warn)"
        )
    if result.site_pages:
        axe, contrast = _page_cells(result.site_pages, axe_ran)
        table.add_row("(site index)", "", "", axe, contrast, "", "")
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, legacy_windows=False).print(table)
    return out.getvalue().rstrip() + "\n"
