"""`newsletter report ISSUE` and the complaint-rate gate before the next issue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from newsletter.errors import NewsletterError
from newsletter.feedback.report import complaint_gate, issue_report
from tests.state import query, state_url

from .conftest import ISSUE, maildir

Cli = Callable[..., Result]


def test_report_counts_what_the_mail_system_said(sent: Path, cli: Cli) -> None:
    query(sent, "UPDATE subscribers SET language = 'de' WHERE id IN (1, 2)")
    query(sent, "UPDATE deliveries SET status = 'failed', failure = 'temporary' WHERE subscriber_id = 4")
    query(
        sent,
        "UPDATE subscribers SET status = 'unsubscribed', changed = '2025-11-21T00:00:00+00:00' WHERE id = 3",
    )
    cli("bounces", str(maildir(sent, "postfix-user-unknown.eml", "arf-redacted-recipient.eml")))
    report = issue_report(state_url(sent), ISSUE)
    (default, de) = report.editions  # "" (the site's language) sorts first
    assert (de.edition, de.recipients, de.sent, de.hard_bounced, de.complained) == ("de", 2, 2, 1, 1)
    assert (default.sent, default.deferred, default.unsubscribed) == (1, 1, 1)
    assert report.total.complaint_rate == pytest.approx(1 / 3) and report.verdict() == "refuse"
    result = cli("report", "sample-issue")
    assert result.exit_code == 3
    assert "complaint rate 33.33% (1 of 3 sent): above 0.3%" in result.stdout
    assert result.stdout.splitlines()[1].split() == [
        "edition", "recipients", "sent", "deferred", "hard", "bounced", "soft", "bounced",
        "complained", "unsubscribed",
    ]  # fmt: skip


def test_gate_refuses_the_next_issue_above_the_threshold_unless_forced(sent: Path, cli: Cli) -> None:
    path = state_url(sent)
    assert complaint_gate(path) is None
    cli("bounces", str(maildir(sent, "arf-redacted-recipient.eml")))
    with pytest.raises(NewsletterError, match=r"complaint rate of sample-issue is 25\.00% .*--force"):
        complaint_gate(path)
    assert (complaint_gate(path, force=True) or "").startswith("warning: the complaint rate")


def test_report_of_an_issue_never_sent(news: Path, cli: Cli) -> None:
    result = cli("report", "sample-issue")
    assert (
        result.exit_code == 1
        and result.stderr == "error: issue 'sample-issue' was never sent; nothing to report\n"
    )


def test_gate_never_stops_an_issue_already_queued(sent: Path, cli: Cli) -> None:
    cli("bounces", str(maildir(sent, "arf-redacted-recipient.eml")))
    assert complaint_gate(state_url(sent), issue_id=ISSUE) is None
    with pytest.raises(NewsletterError):
        complaint_gate(state_url(sent), issue_id="tag:example.org,2025-11-27:next-issue")
    resumed = cli("send", "sample-issue")  # finishing what was started: no refusal
    assert resumed.exit_code == 0 and "complaint rate" not in resumed.output
