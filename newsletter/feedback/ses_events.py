"""Amazon SES's event notifications (what SES publishes to SNS) -> FeedbackEvents.

SES says per message what happened to each recipient: a `Bounce` (Permanent: hard; Transient or
Undetermined: soft), a `Complaint`, a `Delivery`. Both shapes are read: the configuration
set's event publishing (`eventType`) and the identity's feedback notifications
(`notificationType`). Sends, opens, clicks and the rest are ignored: no tracking here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..delivery.ses import TAG_ISSUE
from .events import FeedbackEvent

#: SES's event type -> (the FeedbackEvent kind and the notification's part, its recipients' key)
PARTS = {
    "Bounce": ("bounce", "bouncedRecipients"),
    "Complaint": ("complaint", "complainedRecipients"),
    "Delivery": ("delivery", "recipients"),
}


class NotSesEvent(ValueError):
    """The notification is not an SES event this module reads."""


def _recipients(part: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = part.get(key) or []
    if not isinstance(value, list):
        raise NotSesEvent(f"{key} is not a list")
    return [r if isinstance(r, dict) else {"emailAddress": r} for r in value]


def _when(stamp: object) -> str:
    """SES's "2025-11-20T09:15:02.123Z" as the ledger writes times (UTC, seconds); "" if unreadable."""
    try:
        t = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return ""
    return t.astimezone(dt.UTC).replace(microsecond=0).isoformat() if t.tzinfo else ""


def _issue_tag(mail: dict[str, Any]) -> str:
    tags = mail.get("tags") or {}
    values = tags.get(TAG_ISSUE) if isinstance(tags, dict) else None
    return str(values[0]) if isinstance(values, list) and values else ""


def ses_events(
    notification: dict[str, Any], issue_for_tag: Callable[[str], str] = lambda tag: ""
) -> list[FeedbackEvent]:
    """The events of one SES notification (the SNS message's `Message`, parsed JSON).

    `issue_for_tag` turns the message's issue tag back into the issue id (tags carry a
    sanitized id); "" leaves it to the recorder (the last issue sent to the address).
    """
    if not isinstance(notification, dict):
        raise NotSesEvent("not a JSON object")
    kind = notification.get("eventType") or notification.get("notificationType")
    mail = notification.get("mail") or {}
    if not isinstance(mail, dict):
        raise NotSesEvent("mail is not an object")
    issue_id = issue_for_tag(_issue_tag(mail)) if _issue_tag(mail) else ""
    source = f"Amazon SES message {mail.get('messageId', '?')}"
    if kind not in PARTS:
        if not isinstance(kind, str):
            raise NotSesEvent("neither eventType nor notificationType")
        return []  # Send, Reject, DeliveryDelay, Open, Click…: not feedback about an address
    name, recipients_key = PARTS[kind]
    part = notification.get(name) or {}
    if not isinstance(part, dict):
        raise NotSesEvent(f"{name} is not an object")
    events = []
    for r in _recipients(part, recipients_key):
        severity, status, diagnostic = _details(name, part, r)
        address = str(r.get("emailAddress", ""))
        if "@" in address:
            events.append(
                FeedbackEvent(
                    name,
                    address,
                    severity,
                    issue_id,
                    status=status,
                    diagnostic=diagnostic,
                    source=source,
                    received=_when(part.get("timestamp")),
                )
            )
    return events


def _details(name: str, part: dict[str, Any], recipient: dict[str, Any]) -> tuple[str, str, str]:
    """(severity, status, diagnostic) of one recipient's event, in SES's words."""
    if name == "bounce":
        severity = "hard" if part.get("bounceType") == "Permanent" else "soft"  # Transient, Undetermined
        why = f"{part.get('bounceType', '?')}/{part.get('bounceSubType', '?')}"
        why += f" {recipient.get('diagnosticCode') or ''}"
        return severity, str(recipient.get("status") or ""), " ".join(why.split())
    if name == "complaint":
        feedback_type = str(part.get("complaintFeedbackType") or "abuse")
        return "hard", feedback_type, str(part.get("complaintSubType") or part.get("userAgent") or "")
    return "hard", "", str(part.get("smtpResponse") or "")
