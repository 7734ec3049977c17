"""SES's event notifications (tests/data/ses/, one behaviour each) -> FeedbackEvents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsletter.feedback.events import FeedbackEvent
from newsletter.feedback.ses_events import NotSesEvent, ses_events

SES = Path(__file__).resolve().parents[1] / "data" / "ses"
ISSUE = "tag:example.org,2025:sample-issue"


def _events(name: str) -> list[FeedbackEvent]:
    tags = {"tag_example_org_2025_sample-issue": ISSUE}
    return ses_events(json.loads((SES / name).read_text()), lambda tag: tags.get(tag, ""))


def test_a_permanent_bounce_is_hard_with_ses_words_and_the_issue_from_its_tag() -> None:
    (e,) = _events("bounce-permanent.json")
    assert (e.kind, e.address, e.severity, e.issue_id, e.status) == (
        "bounce", "gone@example.org", "hard", ISSUE, "5.1.1",
    )  # fmt: skip
    assert e.diagnostic == "Permanent/General smtp; 550 5.1.1 user unknown"
    assert e.received == "2025-11-20T09:15:02+00:00"
    assert e.source == "Amazon SES message 0102018c00000000-11111111-2222-3333-4444-555555555555-000000"


def test_a_transient_bounce_in_the_identity_notification_shape_is_soft() -> None:
    (e,) = _events("bounce-transient-mailbox-full.json")
    assert (e.kind, e.address, e.severity, e.issue_id) == ("bounce", "full@example.org", "soft", "")


def test_a_complaint_names_its_feedback_type() -> None:
    (e,) = _events("complaint-abuse.json")
    assert (e.kind, e.address, e.status, e.issue_id) == ("complaint", "angry@example.org", "abuse", ISSUE)


def test_a_delivery_keeps_the_smtp_answer() -> None:
    (e,) = _events("delivery.json")
    assert (e.kind, e.address, e.diagnostic) == ("delivery", "ana@example.org", "250 2.6.0 Message received")


def test_opens_are_not_feedback() -> None:
    assert _events("open-is-ignored.json") == []


def test_something_else_is_refused() -> None:
    with pytest.raises(NotSesEvent):
        _events("not-an-ses-event.json")
