"""issue.json: what the build tells delivery about an issue, read back the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from factories import email_issue

from newsletter.errors import NewsletterError
from newsletter.outputs.built import ISSUE_JSON, BuiltIssue, built_email, issue_json, read_built_issue

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "tests" / "data" / "built"


def test_issue_json_reads_back_as_the_issue_it_was_made_from(tmp_path: Path) -> None:
    issue = email_issue("kasachstan-abraham-abkommen.md")
    (tmp_path / ISSUE_JSON).write_bytes(issue_json(issue))
    built = read_built_issue(tmp_path)
    assert built == BuiltIssue.of(issue)
    assert built.subject == issue.article.title and built.date == issue.date
    assert built.source == Path(issue.source_path).name  # a file name, never the builder's path


def test_issue_json_is_the_same_bytes_every_time() -> None:
    issue = email_issue("kasachstan-abraham-abkommen.md")
    data = issue_json(issue)
    assert data == issue_json(email_issue("kasachstan-abraham-abkommen.md"))
    assert list(json.loads(data)) == sorted(json.loads(data))  # sorted keys, no timestamp


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("escaping-file-name", "'../../feed.atom' is not a file name"),
        ("other-format", "format 2, not 1"),
    ],
)
def test_an_issue_json_this_version_did_not_write_is_one_line(fixture: str, message: str) -> None:
    with pytest.raises(NewsletterError) as e:
        read_built_issue(BUILT / fixture)
    assert message in str(e.value) and "run `newsletter build` again" in str(e.value)
    assert "\n" not in str(e.value)


def test_an_issue_json_of_an_earlier_build_naming_its_message_eml_still_reads() -> None:
    """Builds before this one also wrote a sample message.eml; its name in files is ignored."""
    built = read_built_issue(BUILT / "earlier-build")
    assert (built.slug, built.html, built.text, built.page) == (
        "sample-issue",
        "email.html",
        "email.txt",
        "index.html",
    )


def test_a_folder_without_issue_json_is_not_built(tmp_path: Path) -> None:
    with pytest.raises(
        NewsletterError, match=r"is not built \(issue.json is missing\); run `newsletter build`"
    ):
        read_built_issue(tmp_path / "some-issue")


def test_built_email_reads_the_parts_the_issue_json_names(tmp_path: Path) -> None:
    folder = tmp_path / "issues" / "sample-issue"
    shutil.copytree(ROOT / "tests" / "data" / "delivery" / "built" / "sample-issue", folder)
    issue = read_built_issue(folder)
    html, text = built_email(tmp_path, issue)
    assert html == (folder / "email.html").read_text(encoding="utf-8")
    assert text == (folder / "email.txt").read_text(encoding="utf-8")
