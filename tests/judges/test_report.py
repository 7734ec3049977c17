"""The per-issue table and the JSON report, from a result put together by hand."""

from __future__ import annotations

import json
from pathlib import Path

from newsletter.judges.accessibility import AxeViolation, ContrastFailure, PageAudit
from newsletter.judges.problems import Problem
from newsletter.judges.report import CheckResult, IssueReport, render_table, report_data, write_json
from newsletter.judges.spam import RuleHit, SpamVerdict


def result() -> CheckResult:
    page = PageAudit(
        "public/issues/spring/email.html",
        axe=[
            AxeViolation("image-alt", "critical", "Images must have alternative text", ("img",)),
            AxeViolation(
                "region", "moderate", "All page content should be contained by landmarks", (".page",)
            ),
        ],
        contrast=[ContrastFailure("dark", 2.2, "rgb(74, 77, 82)", "rgb(17, 18, 20)", "Die Ernte", "td > p")],
    )
    problem = Problem("public/issues/spring/email.html", "axe image-alt (critical): …")
    issue = IssueReport(
        slug="spring",
        folder="public/issues/spring",
        subject="Spring in the valley",
        sizes={
            "email_html": 32_279,
            "email_html_personalized": 32_375,
            "email_txt": 9_902,
            "message_eml": 46_917,
        },
        spam=SpamVerdict(
            0.4,
            5.0,
            (RuleHit("HTML_FONT_LOW_CONTRAST", 0.7, "BODY: …"), RuleHit("NO_RECEIVED", 0.0, "Informational")),
            "4.0.1",
        ),
        pages=[page],
        problems=[problem],
    )
    return CheckResult(
        problems=[problem], issues=[issue], tools={"axe-core": "4.14.1", "spamassassin": "4.0.1"}
    )


def test_the_table_shows_score_rules_violations_contrast_and_sizes() -> None:
    table = render_table(result())
    for cell in (
        "spring",
        "0.4 / 3.0",
        "HTML_FONT_LOW_CONTRAST +0.7",
        "+1 at 0",
        "email.html 1 (2)",
    ):
        assert cell in table
    assert "email.html 0 / 1" in table and "sent 32.4 KB" in table and ".eml 46.9 KB" in table


def test_judges_not_run_are_shown_as_such() -> None:
    r = result()
    r.tools = {}
    r.issues[0].spam = None
    assert render_table(r).count("not run") == 3


def test_the_json_report(tmp_path: Path) -> None:
    write_json(result(), tmp_path / "reports" / "check.json")
    data = json.loads((tmp_path / "reports" / "check.json").read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(report_data(result())))
    assert data["ok"] is False and data["spam_limit"] == 3.0
    (issue,) = data["issues"]
    assert issue["spam"]["rules"][0] == {
        "name": "HTML_FONT_LOW_CONTRAST",
        "points": 0.7,
        "description": "BODY: …",
    }
    assert issue["pages"][0]["axe"][0]["targets"] == ["img"]
    assert issue["subject_length"] == 20
    assert data["problems"] == [
        {"path": "public/issues/spring/email.html", "message": "axe image-alt (critical): …"}
    ]
