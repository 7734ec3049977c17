"""A complete email message for one issue and one recipient (RFC 5322, 2047, 2369, 8058).

Delivery composes the message per subscriber from the built HTML and text, substituting only
the personal parts; `check` judges it made for a sample recipient (outputs/mime.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from html import escape as html_escape
from urllib.parse import urlsplit

from ..characters import CONTROL
from ..config import Config
from ..defaults import UNSUBSCRIBE_PLACEHOLDER as UNSUBSCRIBE_PLACEHOLDER
from ..errors import NewsletterError
from ..model import LANGUAGE_TAG, Issue
from .built import BuiltIssue
from .headers import AddressField


@dataclass(frozen=True)
class Envelope:
    """The parts of a message that are the same for every recipient of an issue."""

    subject: str
    sender: str
    reply_to: str
    list_id: str
    unsubscribe_mailto: str
    issue_id: str
    language: str
    date: dt.datetime


def safe_header(value: str, what: str) -> str:
    """Refuse CR/LF and other control characters in a header value (header injection)."""
    if CONTROL.search(value):
        raise NewsletterError(f"{what} contains a line break or control character: {value!r}")
    return value


MAX_HEADER_LINE = 78


_LIST_ID = re.compile(r"^[^<>]*<[A-Za-z0-9][A-Za-z0-9.-]*>$")


def mailbox(value: str, what: str) -> tuple[str, str]:
    """(name, address) from one configured address, "name@example.org" or "Name <name@example.org>",
    or NewsletterError: anything else is refused rather than guessed at."""
    name, address = parseaddr(safe_header(value, what))
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or not address.isascii() or " " in address:
        raise NewsletterError(f"{what} {value!r} is not an address like Name <name@example.org>")
    # formataddr writes a non-ASCII name as encoded words: read it as the name it stands for
    return str(make_header(decode_header(name))), address


def mailbox_field(field: str, value: str, what: str) -> AddressField:
    """The From or Reply-To header of a configured address, written by the one address writer."""
    name, address = mailbox(value, what)
    return AddressField(field, address, name, what=what.removesuffix(" address"))


def checked_list_id(list_id: str) -> str:
    """`list_id` if it is one line like "Name <news.example.org>" (RFC 2919), else NewsletterError."""
    if not _LIST_ID.match(safe_header(list_id, "the list id")):
        raise NewsletterError(f"the list id {list_id!r} must look like Name <news.example.org>")
    return list_id


def list_unsubscribe(unsubscribe_url: str, unsubscribe_mailto: str) -> str:
    """The List-Unsubscribe value (RFC 2369): the recipient's URL, then the list's mailto if any."""
    unsub = [f"<{safe_header(unsubscribe_url, 'the unsubscribe URL')}>"]
    mailto = f"<mailto:{unsubscribe_mailto}?subject=unsubscribe>"
    if unsubscribe_mailto and mailto not in unsub:  # an unsubscribe by email only names it once
        unsub.append(mailto)
    return ", ".join(unsub)


def message_id(issue_id: str, recipient: str, sender: str) -> str:
    """A stable Message-ID per issue and recipient, so a resend is recognisably the same mail."""
    domain = _message_id_domain(sender)
    digest = hashlib.sha256(f"{issue_id}\0{recipient.lower()}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


@lru_cache(maxsize=64)
def _message_id_domain(sender: str) -> str:
    return domain_of(sender) or "newsletter.invalid"


def domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2]


def compose_message(
    env: Envelope,
    *,
    html: str,
    text: str,
    to_address: str,
    to_name: str = "",
    unsubscribe_url: str,
    subject_prefix: str = "",
) -> EmailMessage:
    """One multipart/alternative message, quoted-printable so no line exceeds 998 octets."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = mailbox_field("From", env.sender, "the sender address")
    msg["To"] = AddressField("To", to_address, to_name)
    if env.reply_to:
        msg["Reply-To"] = mailbox_field("Reply-To", env.reply_to, "the reply-to address")
    msg["Subject"] = safe_header(subject_prefix + env.subject, "the subject")
    msg["Date"] = format_datetime(env.date)
    msg["Message-ID"] = message_id(env.issue_id, to_address, env.sender)
    if env.list_id:
        msg["List-Id"] = checked_list_id(env.list_id)
    msg["List-Unsubscribe"] = list_unsubscribe(unsubscribe_url, env.unsubscribe_mailto)
    if unsubscribe_url.startswith("https://"):
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Precedence"] = "bulk"
    msg.set_content(text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url), cte="quoted-printable")
    msg.add_alternative(
        html.replace(UNSUBSCRIBE_PLACEHOLDER, html_escape(unsubscribe_url)),
        subtype="html",
        cte="quoted-printable",
    )
    msg["Content-Language"] = content_language(env.language)  # set_content clears Content-* headers
    # A boundary derived from the message id, not random: the same input gives the same bytes.
    msg.set_boundary("=_" + hashlib.sha256(str(msg["Message-ID"]).encode()).hexdigest()[:40])
    return msg


def content_language(language: str) -> str:
    """The issue's language for Content-Language (RFC 3282): a BCP 47 tag, or NewsletterError."""
    if not LANGUAGE_TAG.fullmatch(language):
        raise NewsletterError(f"the language {language!r} is not a language tag like de or fr-CH")
    return language


def sender_display(sender: str) -> str:
    name, addr = parseaddr(sender)
    return formataddr((name, addr))


def sender_address(config: Config, language: str = "") -> str:
    """The From of every mail of the newsletter, issues and confirmations: the configured sender,
    or the site's title at newsletter@ the site's domain; an edition's `sender_name` (for mail in
    `language`) replaces the display name."""
    sender = config.email.sender or formataddr(
        (config.site.title, f"newsletter@{domain_of_url(config.site.base_url)}")
    )
    edition = config.site.editions.get(language)
    if edition is None or not edition.sender_name:
        return sender
    return formataddr((edition.sender_name, parseaddr(sender)[1]))


def envelope_for(config: Config, issue: Issue | BuiltIssue) -> Envelope:
    """The per-issue parts of every message of `issue` (as read, or as the build recorded it)."""
    facts = issue if isinstance(issue, BuiltIssue) else BuiltIssue.of(issue)
    return Envelope(
        subject=facts.subject,
        sender=sender_address(config, facts.language),
        reply_to=config.email.reply_to,
        list_id=config.email.list_id
        or f"{re.sub('[<>]', '', config.site.title).strip()} <{domain_of_url(config.site.base_url)}>",
        unsubscribe_mailto=config.email.unsubscribe_mailto,
        issue_id=facts.id,
        language=facts.language,
        date=facts.date,
    )


def domain_of_url(url: str) -> str:
    return urlsplit(url).hostname or "newsletter.invalid"
