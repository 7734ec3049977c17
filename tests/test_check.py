"""`newsletter check` with its judges: one line per problem, exit 1, the table and the JSON report."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, require

import newsletter.check
from newsletter.build import build
from newsletter.check import check, run_checks
from newsletter.cli import main
from newsletter.config import load_config
from newsletter.judges.accessibility import axe_script_path, chromium_path
from newsletter.judges.settings import CheckSettings
from newsletter.judges.spam import spamassassin_path

MakeNewsletter = Callable[[Iterable[Path]], Path]
SAMPLE = sorted((ROOT / "issues").glob("*.md"))


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["check", "--out", str(root / "public"), *args, "--config", str(root / "newsletter.toml")]
    )
    return result.exit_code, result.stdout, result.stderr


def build_into(root: Path) -> Path:
    build(load_config(root / "newsletter.toml"), root / "public")
    return root


def built(make_newsletter: MakeNewsletter, issues: Iterable[Path] = SAMPLE) -> Path:
    return build_into(make_newsletter(issues))


def require_judges() -> None:
    require(spamassassin_path() is not None, "spamassassin (apt-get install spamassassin)")
    require(chromium_path() is not None, "/usr/bin/chromium")
    require(axe_script_path() is not None, "node_modules/axe-core (npm install)")


@pytest.mark.browser
def test_the_sample_passes_every_judge(make_newsletter: MakeNewsletter, tmp_path: Path) -> None:
    require_judges()
    root = built(make_newsletter)
    code, out, err = run(root, "--report", "--json", str(tmp_path / "check.json"))
    assert code == 0, out
    assert out.rstrip().endswith("ok: no problems")
    assert "rules hit" in out and "axe serious+" in out and "sent" in out  # the table
    report = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    assert report["ok"] is True and set(report["tools"]) == {"spamassassin", "axe-core"}
    (issue,) = report["issues"]
    assert issue["spam"]["score"] <= 1.0
    assert {r["name"] for r in issue["spam"]["rules"]} >= {"HTML_MESSAGE"}
    assert [Path(p["path"]).name for p in issue["pages"]] == ["email.html", "index.html"]
    for page in issue["pages"] + report["site"]["pages"]:
        assert not [v for v in page["axe"] if v["impact"] in ("serious", "critical")]
        assert page["contrast"] == []
    sizes = issue["sizes"]
    assert sizes["email_html"] < sizes["email_html_personalized"] < 102_000
    assert not issue["problems"]
    # a long subject (the sample's title has 83 characters) is a warning on stderr, not a problem
    long_subject = issue["subject_length"] >= 78
    assert bool(issue["warnings"]) == long_subject == ("warning: " in err)


@pytest.mark.browser
def test_the_json_report_is_the_same_every_time(make_newsletter: MakeNewsletter, tmp_path: Path) -> None:
    require_judges()
    root = built(make_newsletter)
    run(root, "--json", str(tmp_path / "a.json"))
    run(root, "--json", str(tmp_path / "b.json"))
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_fast_skips_spamassassin_and_the_browser(make_newsletter: MakeNewsletter, tmp_path: Path) -> None:
    root = built(make_newsletter)
    code, out, _ = run(root, "--fast", "--report", "--json", str(tmp_path / "check.json"))
    assert code == 0 and "not run" in out
    report = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    assert report["tools"] == {} and report["issues"][0]["spam"] is None
    assert report["issues"][0]["pages"] == []


def test_a_low_spam_limit_fails_with_the_rules(make_newsletter: MakeNewsletter) -> None:
    require(spamassassin_path() is not None, "spamassassin (apt-get install spamassassin)")
    root = built(make_newsletter)
    with (root / "newsletter.toml").open("a", encoding="utf-8") as f:
        f.write("\n[check]\nspam_limit = -5\n")
    result = run_checks(load_config(root / "newsletter.toml"), root / "public")
    (problem,) = [p for p in result.problems if "SpamAssassin" in p.message]
    (folder,) = (root / "public" / "issues").iterdir()
    assert problem.path == str(folder)  # the message is made from the issue's built files
    assert "is above the limit -5.0 ([check] spam_limit)" in problem.message


def test_a_bad_check_table_is_one_line(make_newsletter: MakeNewsletter) -> None:
    root = built(make_newsletter)
    with (root / "newsletter.toml").open("a", encoding="utf-8") as f:
        f.write("\n[check]\nspam_limit = true\n")
    code, out, err = run(root, "--fast")
    assert code == 1 and out == ""
    assert err == f"error: {root / 'newsletter.toml'}: [check] spam_limit: must be a number, e.g. 3.0\n"


def test_missing_judges_are_problems_in_ci_and_warnings_elsewhere(
    make_newsletter: MakeNewsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = built(make_newsletter)
    config = load_config(root / "newsletter.toml")
    monkeypatch.setattr(newsletter.check, "spamassassin_path", lambda: None)
    monkeypatch.setenv("NEWSLETTER_CHROMIUM", str(root / "no-chromium"))
    relaxed = run_checks(config, root / "public", settings=CheckSettings(require_tools=False))
    assert relaxed.problems == []
    assert [w.path for w in relaxed.warnings if "not installed" in w.message] == [
        "spamassassin",
        "/usr/bin/chromium",
    ]
    strict = run_checks(config, root / "public", settings=CheckSettings(require_tools=True))
    assert [str(p).split(":")[0] for p in strict.problems] == ["spamassassin", "/usr/bin/chromium"]


def test_an_inaccessible_template_is_reported(make_newsletter: MakeNewsletter) -> None:
    root = make_newsletter(SAMPLE)
    base = root / "templates" / "site" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace(' dir="{{ dir }}"', ""), encoding="utf-8")
    build_into(root)
    problems = check(load_config(root / "newsletter.toml"), root / "public", fast=True)
    (folder,) = (root / "public" / "issues").iterdir()
    assert [p.path for p in problems] == [str(root / "public" / "index.html"), str(folder / "index.html")]
    assert all(p.message.startswith("no dir on <html>") for p in problems)


def test_a_missing_email_is_reported_once(make_newsletter: MakeNewsletter) -> None:
    root = built(make_newsletter)
    (folder,) = (root / "public" / "issues").iterdir()
    (folder / "email.html").unlink()
    shutil.rmtree(root / "public" / "archive", ignore_errors=True)
    code, out, _ = run(root, "--fast")
    assert code == 1
    # no second line for the message that cannot be made without it
    assert out.splitlines() == [f"{folder / 'email.html'}: missing; run `newsletter build`"]


def test_an_unreadable_issue_json_is_one_problem(make_newsletter: MakeNewsletter) -> None:
    root = built(make_newsletter)
    (folder,) = (root / "public" / "issues").iterdir()
    (folder / "issue.json").write_text("{", encoding="utf-8")
    code, out, _ = run(root, "--fast")
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith(f"{folder / 'issue.json'}: cannot read the built issue: ")
    assert line.endswith("run `newsletter build` again")


def test_a_placeholder_unsubscribe_url_fails_check() -> None:
    """An unsubscribe URL at example.org would reach no one: `check` (and so `publish`) fails it."""
    from conftest import DATA

    from newsletter.judges.files import check_unsubscribe

    path = DATA / "defaults" / "unsubscribe-placeholder.toml"
    (problem,) = check_unsubscribe(load_config(path))
    assert problem.path == str(path)
    assert (
        "[site] unsubscribe_url 'https://example.org/unsubscribe/{token}' is a placeholder" in problem.message
    )
    assert check_unsubscribe(load_config(ROOT / "newsletter.toml")) == []
