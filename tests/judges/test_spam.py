"""SpamAssassin as the judge: its report parsed, real scores for our issues and for real spam."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import built_message_of, require

from newsletter.judges.spam import parse_report, score_message, spamassassin_path

SPAM = Path(__file__).resolve().parents[1] / "data" / "judges" / "spam"


def spamassassin() -> str:
    path = spamassassin_path()
    require(path is not None, "spamassassin (apt-get install spamassassin)")
    assert path
    return path


def test_the_test_mode_report_is_parsed() -> None:
    verdict = parse_report((SPAM / "spamassassin-test-mode-output.txt").read_text(encoding="utf-8"))
    assert (verdict.score, verdict.required, verdict.version) == (18.9, 5.0, "4.0.1")
    rules = {r.name: r for r in verdict.rules}
    assert rules["DEAR_FRIEND"].points == 2.7
    assert rules["NO_RECEIVED"].description == "Informational: message has no Received headers"
    # a description wrapped onto a second line is joined
    assert rules["HTML_FONT_LOW_CONTRAST"].description.endswith("similar or identical to background")
    assert round(sum(r.points for r in verdict.rules), 1) == verdict.score


def test_the_sample_issue_scores_at_most_1(sample_message: bytes) -> None:
    verdict = score_message(sample_message, executable=spamassassin())
    assert verdict.score <= 1.0, verdict.rules
    assert verdict.rules  # the rules hit are reported, even those worth nothing
    # the hidden preheader has no text colour: nothing "similar or identical to background"
    assert "HTML_FONT_LOW_CONTRAST" not in {r.name for r in verdict.rules}


def test_other_issues_stay_under_the_default_limit(other_root: Path) -> None:
    exe = spamassassin()
    for folder in sorted((other_root / "public" / "issues").iterdir()):
        verdict = score_message(built_message_of(folder), executable=exe)
        assert verdict.score <= 1.0, (folder.name, verdict.rules)


def test_spam_scores_as_spam() -> None:
    verdict = score_message((SPAM / "spammy.eml").read_bytes(), executable=spamassassin())
    assert verdict.score > 5.0
    assert {"GUARANTEED_100_PERCENT", "SUBJ_ALL_CAPS", "MIME_HTML_ONLY"} <= {r.name for r in verdict.rules}


def test_scoring_is_repeatable(sample_message: bytes) -> None:
    """No Bayes, no auto-welcomelist: a second run must not learn from the first."""
    exe = spamassassin()
    message = sample_message
    assert score_message(message, executable=exe) == score_message(message, executable=exe)


def test_a_broken_spamassassin_is_one_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "spamassassin"
    fake.write_text("#!/bin/sh\necho 'cannot load rules' >&2\nexit 2\n")
    fake.chmod(0o755)
    with pytest.raises(Exception) as e:
        score_message(b"Subject: x\r\n\r\nx\r\n", executable=str(fake))
    assert str(e.value) == "spamassassin failed (exit 2): cannot load rules"
