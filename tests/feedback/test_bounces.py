"""`newsletter bounces`: a mailbox of returned mail through the policy, each message once."""

from __future__ import annotations

import mailbox
import os
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from newsletter.feedback.events import FeedbackEvent
from newsletter.feedback.record import FeedbackLedger, SuppressionPolicy
from tests.state import query, state_url

from .conftest import BOUNCES, ISSUE, SECRET, feedback, maildir, statuses

Cli = Callable[..., Result]


def test_hard_bounce_named_by_its_token_suppresses_and_a_second_run_changes_nothing(
    sent: Path, cli: Cli
) -> None:
    box = maildir(sent, "postfix-user-unknown.eml", "qmail-failure-notice.eml")
    result = cli("bounces", str(box))
    assert result.exit_code == 0, result.output
    assert "2 message(s), 2 suppressed" in result.stdout
    assert statuses(sent)["gone@example.net"] == "bounced"
    assert statuses(sent)["nobody-here@example.com"] == "bounced"
    assert feedback(sent)[0] == ("gone@example.net", "bounce", "hard", "5.1.1", "suppressed", ISSUE)
    assert not os.listdir(box / "new") and len(os.listdir(box / ".processed" / "cur")) == 2
    before = feedback(sent)
    again = cli("bounces", str(box))
    assert again.exit_code == 0 and "0 message(s)" in again.stdout
    assert feedback(sent) == before


def test_subscribers_list_says_why_and_unsuppress_lifts_it(sent: Path, cli: Cli) -> None:
    cli("bounces", str(maildir(sent, "postfix-user-unknown.eml")))
    listed = cli("subscribers", "list", "--status", "bounced").stdout
    assert listed.startswith("gone@example.net\tbounced\t\thard bounce 5.1.1 2025-11-20: 550 5.1.1")
    assert "User unknown" in listed
    assert cli("subscribers", "list", "--status", "active").stdout.count("\t") == 6  # no reason column
    lifted = cli("subscribers", "unsuppress", "gone@example.net")
    assert lifted.exit_code == 0 and statuses(sent)["gone@example.net"] == "active"
    again = cli("subscribers", "unsuppress", "gone@example.net")
    assert again.exit_code == 1 and again.stderr.startswith("error: gone@example.net is not suppressed")


def test_forged_token_suppresses_nobody_and_is_kept_as_evidence(sent: Path, cli: Cli) -> None:
    result = cli("bounces", str(maildir(sent, "forged-verp-token.eml")))
    assert result.exit_code == 0 and "gone@example.net: bounce (hard, 5.1.1): forged token" in result.stdout
    assert set(statuses(sent).values()) == {"active"}
    assert feedback(sent) == [("gone@example.net", "bounce", "hard", "5.1.1", "forged token", "")]


def test_report_about_an_unknown_address_changes_no_one(sent: Path, cli: Cli) -> None:
    result = cli("bounces", str(maildir(sent, "gmail-mailbox-full.eml")))
    assert "full.reader@gmail.com: bounce (soft, 5.2.2): unknown address" in result.stdout
    assert set(statuses(sent).values()) == {"active"}


def test_unreadable_message_stays_in_the_mailbox_named_on_one_line(sent: Path, cli: Cli) -> None:
    box = maildir(
        sent, "malformed-dsn-no-recipient.eml", "vacation-auto-reply.eml", "rfc3464-delayed-only.eml"
    )
    result = cli("bounces", str(box))
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if "new/" in line]
    assert len(lines) == 2 and all(str(box) in line for line in lines)
    assert "2 unreadable (left in the mailbox)" in result.stdout and "1 needing nothing" in result.stdout
    assert len(os.listdir(box / "new")) == 2  # the delay warning was put aside
    assert set(statuses(sent).values()) == {"active"}


def test_complaint_suppresses_at_once(sent: Path, cli: Cli) -> None:
    cli("bounces", str(maildir(sent, "arf-redacted-recipient.eml")))
    assert statuses(sent)["fan@example.com"] == "complained"
    assert feedback(sent) == [("fan@example.com", "complaint", "hard", "abuse", "suppressed", ISSUE)]


def test_soft_bounces_suppress_after_the_limit_within_the_window(sent: Path) -> None:
    ledger = FeedbackLedger(state_url(sent))
    policy = SuppressionPolicy(soft_limit=3, soft_days=30)
    try:

        def soft(n: int, received: str) -> str:
            event = FeedbackEvent("bounce", "voll@example.de", "soft", status="4.2.2", received=received)
            return ledger.record([event], f"report-{n}", policy)[0].decision

        old = "2020-01-01T00:00:00+00:00"  # outside the window: never counts
        assert soft(0, old) == "counted"
        ((recent,),) = query(sent, "SELECT changed FROM subscribers WHERE id = 4")
        assert [soft(1, recent), soft(2, recent)] == ["counted", "counted"]
        assert statuses(sent)["voll@example.de"] == "active"
        assert soft(3, recent) == "suppressed"
        assert statuses(sent)["voll@example.de"] == "bounced"
    finally:
        ledger.close()


def test_events_of_another_source_are_recorded_the_same_way(sent: Path) -> None:
    """What an ESP's notification (no mailbox, no token) hands to the same recording function."""
    ledger = FeedbackLedger(state_url(sent))
    try:
        event = FeedbackEvent("complaint", "Fan@Example.com", status="abuse", source="ses")
        (d,) = ledger.record([event], "ses:0100018c-0f1e")
        assert d.decision == "suppressed" and not d.duplicate
        (again,) = ledger.record([event], "ses:0100018c-0f1e")
        assert again.duplicate
    finally:
        ledger.close()
    assert statuses(sent)["fan@example.com"] == "complained"


def test_mbox_messages_are_moved_aside(sent: Path, cli: Cli) -> None:
    path = sent / "bounces.mbox"
    box = mailbox.mbox(path)
    for name in ("postfix-user-unknown.eml", "vacation-auto-reply.eml"):
        box.add(mailbox.mboxMessage((BOUNCES / name).read_bytes()))
    box.close()
    result = cli("bounces", "bounces.mbox")
    assert result.exit_code == 0 and "1 suppressed" in result.stdout
    assert len(mailbox.mbox(path)) == 1 and len(mailbox.mbox(sent / "bounces.mbox.processed")) == 1
    assert "0 suppressed" not in cli("bounces", "bounces.mbox").stdout
    assert len(feedback(sent)) == 1


def test_config_mailbox_and_bad_sources(sent: Path, cli: Cli) -> None:
    assert cli("bounces").stderr.startswith(
        "error: no mailbox given; pass one or set [delivery] bounce_mailbox"
    )
    missing = cli("bounces", "nowhere")
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1 and "no such mailbox" in missing.stderr
    config = sent / "newsletter.toml"
    maildir(sent, "postfix-user-unknown.eml")
    config.write_text(
        config.read_text().replace("[delivery]\n", "[delivery]\n" + 'bounce_mailbox = "bounces"\n')
    )
    assert "1 suppressed" in cli("bounces").stdout


def test_a_token_without_the_secret_is_not_trusted(sent: Path) -> None:
    query(
        sent,
        "UPDATE subscribers SET address = 'moved@example.net', address_key = 'moved@example.net'"
        " WHERE id = 1",
    )
    ledger = FeedbackLedger(state_url(sent))
    try:
        event = FeedbackEvent("bounce", "gone@example.net", verp="1-wqsrqaon-blnsbvfzwkjx")
        (d,) = ledger.record([event], "r", secret=SECRET)
    finally:
        ledger.close()
    assert d.decision == "forged token"  # the token names another address than subscriber 1's now
