"""The double opt-in mail: one short message with the signed, expiring confirmation link.

A transactional message, not an issue: no List-Unsubscribe (there is nothing to unsubscribe
from yet), `Auto-Submitted: auto-generated` so no auto-responder answers it, DKIM-signed when
the newsletter signs its issues. It goes through the same transports as `newsletter send`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from ..config import Config
from ..delivery.signing import DkimSigner
from ..delivery.tokens import BadToken, make_token, verify_token
from ..delivery.transports import ConnectFailure, DeliveryFailure, Transport, TransportFatal
from ..outputs.headers import AddressField
from ..outputs.message import domain_of, mailbox_field, sender_address
from .pages import ServicePages

PURPOSE = "confirm"


class NotSent(Exception):
    """The confirmation mail was not accepted; `permanent` (5xx): retrying will not help."""

    def __init__(self, reply: str, *, permanent: bool = False):
        super().__init__(reply)
        self.permanent = permanent


def confirm_token(secret: str, address: str, nonce: str, language: str) -> str:
    """A signed, timed token naming the address, its sign-up's nonce (so a link works once) and
    the edition language (so the confirmation page speaks it)."""
    return make_token(secret, f"{nonce} {language} {address}", PURPOSE, timed=True)


def read_confirm_token(secret: str, token: str, max_age: dt.timedelta) -> tuple[str, str, str]:
    """(address, nonce, language) from a confirmation token; BadToken if tampered with or expired."""
    value = verify_token(secret, token, PURPOSE, max_age=max(1, int(max_age.total_seconds())))
    nonce, language, address = [*value.split(" ", 2), "", ""][:3]
    if not (nonce and address):
        raise BadToken(f"invalid {PURPOSE} token: incomplete")
    return address, nonce, language


def confirmation_message(
    config: Config,
    pages: ServicePages,
    *,
    address: str,
    name: str,
    language: str,
    confirm_url: str,
    max_age: dt.timedelta,
    date: dt.datetime,
) -> EmailMessage:
    """The confirmation mail to `address`, in `language`, linking to `confirm_url`."""
    labels = pages.labels(language)
    days = max(1, round(max_age.total_seconds() / 86400))
    context = {"confirm_url": confirm_url, "expires": labels["service_confirm_expires"].format(days=days)}
    msg = EmailMessage(policy=SMTP)
    msg["From"] = mailbox_field("From", sender_address(config, language), "the sender address")
    msg["To"] = AddressField("To", address, name)
    if config.email.reply_to:
        msg["Reply-To"] = mailbox_field("Reply-To", config.email.reply_to, "the reply-to address")
    msg["Subject"] = f"{labels['service_confirm_subject']} – {config.site.for_edition(language).title}"
    msg["Date"] = format_datetime(date)
    sender_domain = domain_of(sender_address(config)) or "newsletter.invalid"
    digest = hashlib.sha256(confirm_url.encode()).hexdigest()[:32]
    msg["Message-ID"] = f"<confirm.{digest}@{sender_domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(pages.render("confirmation-email.txt", language, **context), cte="quoted-printable")
    msg.add_alternative(
        pages.render("confirmation-email.html", language, **context), subtype="html", cte="quoted-printable"
    )
    msg["Content-Language"] = language  # after the parts: set_content drops Content-* headers
    msg.set_boundary("=_" + digest)  # "=_" never occurs in quoted-printable
    return msg


def message_bytes(message: EmailMessage, signer: DkimSigner | None = None) -> bytes:
    """The message as it is sent: serialized, DKIM-signed when the newsletter signs."""
    data = message.as_bytes()
    return signer.sign(data) if signer is not None else data


def send_confirmation(
    transport: Transport, message: EmailMessage, recipient: str, signer: DkimSigner | None = None
) -> str:
    """Hand the message to the transport (one session per mail: sign-ups are rare); NotSent if refused."""
    data = message_bytes(message, signer)
    sender = parseaddr(str(message["From"]))[1]
    try:
        session = transport.open()
    except (ConnectFailure, TransportFatal) as e:
        raise NotSent(str(e)) from None
    try:
        return session.send(sender, recipient, data)
    except DeliveryFailure as e:
        raise NotSent(e.reply, permanent=e.permanent) from None
    except TransportFatal as e:
        raise NotSent(str(e), permanent=True) from None
    finally:
        session.close()
