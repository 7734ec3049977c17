"""One returned message -> FeedbackEvents: RFC 3464 DSNs, RFC 5965 ARF reports, plain bounce texts.

The standard formats are read field by field. Bounces that follow no standard (old qmail,
Exim and ISP formats) are read the way a person reads them: the status code and the address
near words like "user unknown" or "mailbox full". Whatever the format, the bounce token of the
address the report came back to (VERP) names the recipient best: mangled reports still carry it.

Hard or soft: a hard bounce says the address is dead (5.1.x: no such user, bad domain; 5.2.1:
disabled). A policy refusal (5.7.x: "looks like spam"), a full mailbox (5.2.2) or a too large
message are about this message or this moment, not the address: soft, like every 4.x.x.
"""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy as email_policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import urlsplit

from ..errors import NewsletterError
from .events import FeedbackEvent

#: Feedback types (RFC 5965 §7.3) that mean "the recipient does not want this": a complaint.
COMPLAINT_TYPES = ("abuse", "fraud", "virus", "other")
#: Headers a delivery agent adds that name the address a message was delivered to.
_DELIVERED_TO = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?<![\d.])([45])\d\d(?=[ -])")
_ADDRESS = re.compile(r"<?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?")
_HARD_WORDS = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|"
    r"mailbox unavailable|invalid (recipient|mailbox|address)|recipient address rejected|"
    r"account (has been )?disabled|address rejected|not found|no mailbox|unrouteable|host not found",
    re.IGNORECASE,
)
_SOFT_WORDS = re.compile(
    r"quota|mailbox (is )?full|over ?quota|insufficient (disk )?space|temporar|try again|deferred|"
    r"greylist|too many|rate limit",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (status notification|failure|has failed)|failure notice|"
    r"mail delivery (failed|system)|could not be delivered|non[- ]?delivery",
    re.IGNORECASE,
)


class Unreadable(NewsletterError):
    """A message that is neither a delivery report nor a complaint we can read (left in place)."""


def classify(status: str, diagnostic: str = "") -> str:
    """'hard' or 'soft' for an enhanced status code (and the server's words when it is vague)."""
    m = _STATUS.search(status)
    if m is None:
        code = _SMTP_CODE.search(diagnostic)
        if code and code.group(1) == "4":
            return "soft"
        if _SOFT_WORDS.search(diagnostic):
            return "soft"
        return "hard" if (code or _HARD_WORDS.search(diagnostic)) else "soft"
    klass, subject, detail = m.group(1), int(m.group(2)), int(m.group(3))
    if klass != "5":
        return "soft"
    if subject == 1 or (subject, detail) in ((2, 1), (4, 4)):
        return "hard"
    if (subject, detail) == (0, 0):  # "permanent, reason unknown": the words decide
        return "soft" if _SOFT_WORDS.search(diagnostic) and not _HARD_WORDS.search(diagnostic) else "hard"
    return "soft"


def parse_report(data: bytes, source: str = "", secret: str | None = None) -> list[FeedbackEvent]:
    """The events in one returned message; [] for a report that asks nothing of us (a delay
    warning, a successful delivery, a "not spam" report); Unreadable for anything else.

    With `secret`, the unsubscribe token in a complaint's copy of our message names the recipient
    when the report hides the address (many feedback loops redact it).
    """
    try:
        return _parse(email.message_from_bytes(data, policy=email_policy.compat32), source, secret)
    except Unreadable:
        raise
    except Exception as e:  # whatever a hostile message trips in the parser: one line, left in place
        raise Unreadable(f"cannot read this message ({type(e).__name__}: {e})"[:300]) from None


def _parse(msg: Message, source: str, secret: str | None) -> list[FeedbackEvent]:
    received = _received(msg)
    verp = _verp_token(msg)
    report_type = msg.get_param("report-type", "", header="content-type")
    report_type = report_type.lower() if isinstance(report_type, str) else ""
    if msg.get_content_type() == "multipart/report" and report_type == "feedback-report":
        return _arf(msg, source, received, verp, secret)
    dsn = _find(msg, "message/delivery-status")
    if dsn is not None:
        return _dsn(msg, dsn, source, received, verp)
    if _looks_like_bounce(msg):
        return _plain_bounce(msg, source, received, verp)
    subject = _one_line(msg.get("Subject", ""))[:80]
    raise Unreadable(f"not a delivery report or complaint (Subject: {subject!r}); left for a person to read")


# --- RFC 3464 --------------------------------------------------------------------------------


def _dsn(msg: Message, part: Message, source: str, received: str, verp: str) -> list[FeedbackEvent]:
    blocks = _status_blocks(part)
    if len(blocks) < 2:
        raise Unreadable("a delivery status report without a per-recipient part (RFC 3464 §2.3)")
    events = []
    for block in blocks[1:]:
        action = _field(block, "Action").lower()
        recipient = _address_field(_field(block, "Final-Recipient") or _field(block, "Original-Recipient"))
        if not recipient:
            raise Unreadable("a delivery status report without a Final-Recipient address")
        if action != "failed":  # delayed, delivered, relayed, expanded: nothing failed (yet)
            continue
        status = _field(block, "Status")
        diagnostic = _diagnostic(_field(block, "Diagnostic-Code"))
        m = _STATUS.search(status)
        events.append(
            FeedbackEvent(
                "bounce",
                recipient,
                classify(status, diagnostic),
                status=m.group(0) if m else status[:20],
                diagnostic=diagnostic,
                source=source,
                received=received,
                verp=verp,
            )
        )
    return events


def _status_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part (the email package splits them)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    return [email.message_from_string(b.strip() + "\n") for b in re.split(r"\n\s*\n", text) if b.strip()]


def _field(block: Message, name: str) -> str:
    return _one_line(str(block.get(name, "") or ""))


def _address_field(value: str) -> str:
    """`rfc822; user@example.org` -> user@example.org (other address types are not ours)."""
    kind, _, address = value.partition(";")
    if not address:
        address, kind = kind, "rfc822"
    if kind.strip().lower() != "rfc822":
        return ""
    m = _ADDRESS.search(address)
    return m.group(1) if m else ""


def _diagnostic(value: str) -> str:
    kind, sep, text = value.partition(";")
    return (text if sep and kind.strip().lower() in ("smtp", "x-postfix", "x-unix") else value).strip()[:1000]


# --- RFC 5965 --------------------------------------------------------------------------------


def _arf(msg: Message, source: str, received: str, verp: str, secret: str | None) -> list[FeedbackEvent]:
    part = _find(msg, "message/feedback-report")
    if part is None:
        raise Unreadable("a feedback report without its message/feedback-report part (RFC 5965 §2)")
    blocks = _status_blocks(part)
    fields = blocks[0] if blocks else Message()
    feedback_type = _field(fields, "Feedback-Type").lower()
    if not feedback_type:
        raise Unreadable("a feedback report without a Feedback-Type field (RFC 5965 §3.1)")
    if feedback_type not in COMPLAINT_TYPES:
        return []  # not-spam, auth-failure: nothing the recipient asked of us
    original = _original_headers(msg)
    # Our copy's envelope sender names the recipient; the report's own address is the loop's.
    verp = (
        _verp_of(_field(fields, "Original-Mail-From"))
        or (_verp_of(str(original.get("Return-Path", ""))) if original is not None else "")
        or verp
    )
    address = _address_field(_field(fields, "Original-Rcpt-To"))
    if not address and original is not None:
        address = _unsubscribed_address(original, secret) or _first_address(original.get("To", ""))
    if not address and not verp:
        raise Unreadable("a complaint that names no recipient (no Original-Rcpt-To, To or bounce token)")
    return [
        FeedbackEvent(
            "complaint",
            address,
            "hard",
            status=feedback_type,
            diagnostic=_one_line(str(fields.get("User-Agent", "") or ""))[:200],
            source=source,
            received=received,
            verp=verp,
        )
    ]


def _original_headers(msg: Message) -> Message | None:
    for kind in ("message/rfc822", "text/rfc822-headers"):
        part = _find(msg, kind)
        if part is None:
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
        if isinstance(payload, str):
            return email.message_from_string(payload)
    return None


def _unsubscribed_address(original: Message, secret: str | None) -> str:
    """The address in the signed unsubscribe link of our own message, if the secret verifies it."""
    if not secret:
        return ""
    from ..delivery.tokens import BadToken, verify_token

    for url in re.findall(r"<(https?://[^>]+)>", _one_line(str(original.get("List-Unsubscribe", "")))):
        token = urlsplit(url).path.rstrip("/").rpartition("/")[2]
        try:
            return verify_token(secret, token)
        except BadToken:
            continue
    return ""


# --- bounces that follow no standard ---------------------------------------------------------


def _looks_like_bounce(msg: Message) -> bool:
    sender = str(msg.get("From", "")).lower()
    return (
        "mailer-daemon" in sender
        or "postmaster" in sender
        or bool(_BOUNCE_SUBJECT.search(str(msg.get("Subject", ""))))
        or (
            str(msg.get("Return-Path", "")).strip() == "<>"
            and not str(msg.get("Auto-Submitted", "")).lower().startswith("auto-replied")
        )
    )


def _plain_bounce(msg: Message, source: str, received: str, verp: str) -> list[FeedbackEvent]:
    text = _first_text(msg)
    ours = {a.lower() for a in _header_addresses(msg)}
    # The failed address is the first one in the report's own words, before the returned copy.
    body = re.split(r"\n-+ ?(?:Original message|This is a copy|Below this line)", text, maxsplit=1)[0]
    addresses = [a for a in _ADDRESS.findall(body) if a.lower() not in ours]
    status = _STATUS.search(body)
    code = _SMTP_CODE.search(body)
    if not (status or code or _HARD_WORDS.search(body) or _SOFT_WORDS.search(body)):
        raise Unreadable("a bounce without a status code or a reason in its text")
    if not addresses and not verp:
        raise Unreadable("a bounce that names no recipient")
    reason = next(
        (line.strip() for line in body.splitlines() if _STATUS.search(line) or _SMTP_CODE.search(line)), ""
    )
    diagnostic = reason or next(
        (line.strip() for line in body.splitlines() if _HARD_WORDS.search(line) or _SOFT_WORDS.search(line)),
        "",
    )
    status_text = status.group(0) if status else ""
    return [
        FeedbackEvent(
            "bounce",
            addresses[0] if addresses else "",
            classify(status_text, diagnostic),
            status=status_text,
            diagnostic=diagnostic[:1000],
            source=source,
            received=received,
            verp=verp,
        )
    ]


# --- helpers ---------------------------------------------------------------------------------


def _find(msg: Message, content_type: str) -> Message | None:
    for part in msg.walk():
        if part.get_content_type() == content_type:
            return part
    return None


def _first_text(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                try:
                    text = raw.decode(part.get_content_charset() or "utf-8", "replace")
                except LookupError:  # a charset no one knows: the codes and addresses are ASCII anyway
                    text = raw.decode("utf-8", "replace")
                return text.replace("\r\n", "\n")
    return ""


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _header_addresses(msg: Message) -> list[str]:
    values = [str(msg.get(h, "")) for h in ("From", "Sender", *_DELIVERED_TO)]
    return [a for _, a in getaddresses(values) if a]


def _first_address(value: str) -> str:
    found = [a for _, a in getaddresses([str(value)]) if "@" in a]
    return found[0] if found else ""


def _verp_of(value: str) -> str:
    from ..delivery.tokens import verp_token_of

    for _, address in getaddresses([str(value)]):
        token = verp_token_of(address) if "@" in address else None
        if token:
            return token
    return ""


def _verp_token(msg: Message) -> str:
    """The token of the address the report was delivered to: Delivered-To first (set by our MTA)."""
    for header in _DELIVERED_TO:
        for value in msg.get_all(header, []):
            token = _verp_of(value)
            if token:
                return token
    return ""


def _received(msg: Message) -> str:
    try:
        when = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None:
        when = dt.datetime.now(dt.UTC)
    elif when.tzinfo is None:  # "-0000": a time in UTC whose local zone is not known (RFC 5322)
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat()
