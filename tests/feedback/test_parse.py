"""One returned message -> events: each fixture under tests/data/bounces is one behaviour."""

from __future__ import annotations

import pytest

from newsletter.feedback.parse import Unreadable, classify, parse_report

from .conftest import BOUNCES, SECRET

CASES = {
    # file: [(kind, address, severity, status, verp token)]
    "postfix-user-unknown.eml": [("bounce", "gone@example.net", "hard", "5.1.1", "1-wqsrqaon-blnsbvfzwkjx")],
    "rfc3464-appendix-mailbox-full.eml": [("bounce", "louisl@larry.slip.umd.edu", "soft", "4.0.0", "")],
    "rfc3464-appendix-multiple-recipients.eml": [
        ("bounce", "arathib@vnet.ibm.com", "hard", "5.0.0", ""),
        ("bounce", "wsnell@sdcc13.ucsd.edu", "hard", "5.0.0", ""),
    ],
    "rfc3464-delayed-only.eml": [],
    "gmail-mailbox-full.eml": [("bounce", "full.reader@gmail.com", "soft", "5.2.2", "")],
    "outlook-policy-block.eml": [("bounce", "reader@hotmail.com", "soft", "5.7.1", "")],
    "qmail-failure-notice.eml": [
        ("bounce", "nobody-here@example.com", "hard", "5.1.1", "3-wqsrqaon-fliln2rdwm46")
    ],
    "exim-over-quota.eml": [("bounce", "voll@example.de", "soft", "", "")],
    "rfc5965-b2-abuse.eml": [("complaint", "user@example.com", "hard", "abuse", "")],
    "arf-redacted-recipient.eml": [
        ("complaint", "fan@example.com", "hard", "abuse", "2-wqsrqaon-lxr3ulz2uwrf")
    ],
    "arf-not-spam.eml": [],
    "unknown-charset-bounce.eml": [("bounce", "reader@example.net", "hard", "5.1.1", "")],
}

UNREADABLE = {
    "malformed-dsn-no-recipient.eml": "without a Final-Recipient",
    "rfc5965-b1-no-recipient.eml": "names no recipient",
    "vacation-auto-reply.eml": "not a delivery report or complaint",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_report(name: str) -> None:
    events = parse_report((BOUNCES / name).read_bytes(), name, SECRET)
    assert [(e.kind, e.address, e.severity, e.status, e.verp) for e in events] == CASES[name]
    assert all(e.source == name and e.received.endswith("+00:00") for e in events)


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_report_is_one_line(name: str) -> None:
    with pytest.raises(Unreadable) as e:
        parse_report((BOUNCES / name).read_bytes(), name, SECRET)
    assert UNREADABLE[name] in str(e.value) and "\n" not in str(e.value)


def test_redacted_complaint_without_secret_falls_back_to_its_token() -> None:
    (event,) = parse_report((BOUNCES / "arf-redacted-recipient.eml").read_bytes(), "x", None)
    assert event.address == "redacted@yahoo.com" and event.verp == "2-wqsrqaon-lxr3ulz2uwrf"


@pytest.mark.parametrize(
    ("status", "diagnostic", "severity"),
    [
        ("5.1.1", "", "hard"),
        ("5.1.10", "", "hard"),
        ("5.2.1", "account disabled", "hard"),
        ("5.2.2", "mailbox full", "soft"),
        ("5.7.1", "blocked as spam", "soft"),
        ("4.2.2", "", "soft"),
        ("5.0.0", "550 user unknown", "hard"),
        ("5.0.0", "552 quota exceeded", "soft"),
        ("", "550 no such user", "hard"),
        ("", "421 try again later", "soft"),
    ],
)
def test_classify(status: str, diagnostic: str, severity: str) -> None:
    assert classify(status, diagnostic) == severity


def test_bytes_that_are_no_message_are_unreadable() -> None:
    with pytest.raises(Unreadable):
        parse_report(b"\x00\xff garbage without headers", "x")


@pytest.mark.parametrize("name", sorted({*CASES, *UNREADABLE}))
def test_cut_or_garbled_reports_are_events_or_one_line_never_a_crash(name: str) -> None:
    data = (BOUNCES / name).read_bytes()
    for variant in (
        *(data[:n] for n in range(0, len(data), max(1, len(data) // 25))),
        data.replace(b"\n", b"\r"),
        data.replace(b"--", b"-"),
        bytes(b ^ 0x80 if i % 7 == 0 else b for i, b in enumerate(data)),
    ):
        try:
            events = parse_report(variant, name, SECRET)
        except Unreadable as e:
            assert "\n" not in str(e)
        else:
            assert all(e.kind in ("bounce", "complaint") for e in events)
