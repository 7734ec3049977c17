"""Where messages go: a Maildir outbox (the safe default) or an SMTP server.

A transport opens sessions; a session sends one message to one recipient and says how it went.
Every transport reports failures the same way, so the sender's retry and ledger logic never
knows which one it talks to; an email service provider's HTTP batch API would be one more
`Transport` whose session posts (or buffers and posts in batches) instead of speaking SMTP.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from ..config import Config
from ..errors import NewsletterError
from ..outputs.message import domain_of

SMTP_URL_ENV = "NEWSLETTER_SMTP_URL"
SMTP_USER_ENV = "NEWSLETTER_SMTP_USER"
SMTP_PASSWORD_ENV = "NEWSLETTER_SMTP_PASSWORD"


class DeliveryFailure(Exception):
    """One message was not accepted. `permanent` (5xx) is not retried; `connection_lost` means the
    session is unusable; `recipient_refused` (a 5xx to RCPT) is what a bounce policy acts on."""

    def __init__(
        self,
        reply: str,
        *,
        permanent: bool = False,
        connection_lost: bool = False,
        recipient_refused: bool = False,
        ambiguous: bool = False,
    ):
        super().__init__(reply)
        self.reply = reply
        self.ambiguous = ambiguous  # lost after the message was handed over: it may have arrived
        self.permanent = permanent
        self.connection_lost = connection_lost
        self.recipient_refused = recipient_refused


class ConnectFailure(Exception):
    """A session could not be opened, but might be later (refused, timed out, 421)."""


class TransportFatal(NewsletterError):
    """A problem no retry fixes (bad credentials, no TLS, sender refused): the run stops."""


class Session(Protocol):
    """One open path to the mail server (an SMTP connection, or the outbox), used by one send
    worker for many messages in turn, then closed. Sessions are never shared between threads."""

    def send(self, sender: str, recipient: str, message: bytes) -> str:
        """Deliver `message` to `recipient`; return the server's reply or raise DeliveryFailure."""
        ...

    def close(self) -> None:
        """End the session (QUIT for SMTP); a connection already gone is no error."""
        ...


class Transport(Protocol):
    """Where messages go: a send run opens one `Session` per worker (see `transport_from_config`).
    `name` is the [delivery] transport value that chose it ("smtp", "outbox", "ses"). A transport
    may also have `prepare_send(issue_id, edition, planned, notice) -> float`, called before a
    run: it tags the run's messages and returns the provider's maximum messages per second (0:
    none), or raises TransportFatal when nothing may be sent."""

    name: str

    def open(self) -> Session:
        """A new session (an SMTP connection); ConnectFailure or TransportFatal on failure."""
        ...

    def describe(self) -> str:
        """Where messages go, without any secret, for the summary line."""
        ...


# --- outbox -----------------------------------------------------------------------------------


class OutboxTransport:
    """Writes each message as a `.eml` file into a Maildir (tmp/ then rename into new/).

    File names are a hash of recipient and message, so writing the same message twice (after a
    crash) overwrites rather than duplicates. The Date header is the time of sending: a message
    sent again a second later is another file, as a mail server would take it twice (the
    service's reminder of a pending confirmation is one such message, meant to arrive again).
    """

    name = "outbox"

    def __init__(self, maildir: Path):
        self.maildir = maildir
        try:
            for sub in ("tmp", "new", "cur"):
                (maildir / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise TransportFatal(f"cannot create the outbox: {e.strerror}", path=str(maildir)) from None

    def open(self) -> OutboxTransport:
        return self

    def describe(self) -> str:
        return f"outbox {self.maildir}/new"

    def send(self, sender: str, recipient: str, message: bytes) -> str:
        name = hashlib.sha256(recipient.lower().encode() + b"\0" + message).hexdigest()[:40] + ".eml"
        tmp = self.maildir / "tmp" / name
        try:
            with open(tmp, "wb") as f:
                f.write(message)
            os.replace(tmp, self.maildir / "new" / name)
        except OSError as e:
            raise TransportFatal(f"cannot write to the outbox: {e.strerror}", path=str(tmp)) from None
        return f"stored as new/{name}"

    def close(self) -> None:
        pass


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """An SMTP server from NEWSLETTER_SMTP_URL; the password is never part of `describe()`."""

    host: str
    port: int
    implicit_tls: bool
    user: str = ""
    password: str = ""
    timeout: float = 60.0  # for each command once connected
    connect_timeout: float = 10.0  # to reach the server: an unreachable one is reported soon

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False

    def describe(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.user}@" if self.user else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def smtp_settings(url: str) -> SmtpSettings:
    """Parse `smtp://user:password@host:port` or `smtps://…`; user and password may instead come
    from NEWSLETTER_SMTP_USER / NEWSLETTER_SMTP_PASSWORD. Errors never repeat the URL (it may
    hold a password)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise NewsletterError(
            f"{SMTP_URL_ENV} is not a valid URL; use smtp://user:password@host:port"
        ) from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise NewsletterError(
            f"{SMTP_URL_ENV} must look like smtp://host:587 (STARTTLS) or smtps://host:465 (TLS)"
        )
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if implicit else 587),
        implicit_tls=implicit,
        user=unquote(parts.username or "") or os.environ.get(SMTP_USER_ENV, ""),
        password=unquote(parts.password or "") or os.environ.get(SMTP_PASSWORD_ENV, ""),
    )


def _reply(code: int, text: bytes | str) -> str:
    msg = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(msg.split())}".strip()


class SmtpTransport:
    """One smtplib connection per session, reused for many messages.

    STARTTLS is required (with certificate verification) unless the server is on loopback, so
    neither mail nor credentials ever cross a network in clear.
    """

    name = "smtp"

    def __init__(self, settings: SmtpSettings, *, helo: str = "", tls_context: ssl.SSLContext | None = None):
        self.settings = settings
        # An explicit HELO name: smtplib's default socket.getfqdn() can hang on a DNS look-up.
        self.helo = helo or "localhost"
        self.tls = tls_context or ssl.create_default_context()

    def describe(self) -> str:
        return self.settings.describe()

    def _redact(self, text: str) -> str:
        return text.replace(self.settings.password, "***") if self.settings.password else text

    def open(self) -> SmtpSession:
        s = self.settings
        smtp: smtplib.SMTP
        try:
            if s.implicit_tls:
                smtp = smtplib.SMTP_SSL(local_hostname=self.helo, timeout=s.connect_timeout, context=self.tls)
            else:
                smtp = smtplib.SMTP(local_hostname=self.helo, timeout=s.connect_timeout)
            smtp.connect(s.host, s.port)
            if smtp.sock is not None:
                smtp.sock.settimeout(s.timeout)
            smtp.ehlo()
            if not s.implicit_tls:
                if smtp.has_extn("starttls"):
                    if not s.loopback:
                        smtp.starttls(context=self.tls)
                        smtp.ehlo()
                elif not s.loopback:
                    smtp.close()
                    raise TransportFatal(
                        f"{s.describe()} does not offer STARTTLS; refusing to send in clear text "
                        "(use smtps:// or a server with TLS)"
                    )
            if s.user:
                smtp.login(s.user, s.password)
        except smtplib.SMTPAuthenticationError as e:
            raise TransportFatal(
                f"{s.describe()} refused the login: {self._redact(_reply(e.smtp_code, e.smtp_error))}; "
                f"check {SMTP_USER_ENV}/{SMTP_PASSWORD_ENV}"
            ) from None
        except smtplib.SMTPNotSupportedError as e:
            raise TransportFatal(f"{s.describe()}: {self._redact(str(e))}") from None
        except ssl.SSLError as e:
            raise TransportFatal(f"TLS with {s.describe()} failed: {e.reason or e}") from None
        except (smtplib.SMTPException, OSError) as e:
            raise ConnectFailure(
                f"cannot connect to {s.describe()}: {self._redact(str(e)) or type(e).__name__}"
            ) from None
        return SmtpSession(smtp, self._redact)

    def close(self) -> None:
        pass


# A line of the message that starts with "." gets a second one (RFC 5321 4.5.2).
_LEADING_DOT = re.compile(rb"^\.", re.M)


class SmtpSession:
    """One SMTP connection: MAIL, RCPT, DATA per message, with the server's reply kept.

    With a server that offers PIPELINING (RFC 2920) the three commands go out in one write and
    their replies come back together: two round trips per message instead of four. Each reply is
    still read and judged in order, exactly as without pipelining.
    """

    def __init__(self, smtp: smtplib.SMTP, redact: Callable[[str], str]):
        self.smtp = smtp
        self._redact = redact
        self.pipelining = bool(smtp.has_extn("pipelining"))
        self._mail_from = ("", "")  # (sender, its MAIL FROM argument): the same for a whole run
        self._handed_over = False  # the current message's body went out: a loss now is ambiguous

    def _fail(self, code: int, text: bytes | str, *, stage: str) -> DeliveryFailure:
        reply = _reply(code, text)
        if code == 421 or code == -1:
            return DeliveryFailure(reply, connection_lost=True)
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            return DeliveryFailure(
                reply,
                permanent=500 <= code < 600,
                connection_lost=True,
                recipient_refused=stage == "rcpt" and 500 <= code < 600,
            )
        if stage == "mail" and 500 <= code < 600:
            raise TransportFatal(f"the server refused the sender: {reply}; check [email] from")
        return DeliveryFailure(
            reply, permanent=500 <= code < 600, recipient_refused=stage == "rcpt" and code >= 500
        )

    def send(self, sender: str, recipient: str, message: bytes) -> str:
        smtp = self.smtp
        self._handed_over = False
        try:
            if self.pipelining and sender.isascii() and recipient.isascii():
                return self._send_pipelined(sender, recipient, message)
            code, text = smtp.mail(sender)
            if code != 250:
                raise self._fail(code, text, stage="mail")
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise self._fail(code, text, stage="rcpt")
            self._handed_over = True  # from here a lost connection may follow a stored message
            code, text = smtp.data(message)
            if code != 250:
                raise self._fail(code, text, stage="data")
        except smtplib.SMTPServerDisconnected as e:
            raise DeliveryFailure(
                f"connection lost: {e}", connection_lost=True, ambiguous=self._handed_over
            ) from None
        except smtplib.SMTPResponseException as e:  # data() raises for a bad 354
            raise self._fail(e.smtp_code, e.smtp_error, stage="data") from None
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryFailure(
                f"connection lost: {e or type(e).__name__}", connection_lost=True, ambiguous=self._handed_over
            ) from None
        return _reply(code, text)

    def _quoted_sender(self, sender: str) -> str:
        if self._mail_from[0] != sender:
            self._mail_from = (sender, smtplib.quoteaddr(sender))
        return self._mail_from[1]

    def _send_pipelined(self, sender: str, recipient: str, message: bytes) -> str:
        smtp = self.smtp
        smtp.send(
            f"MAIL FROM:{self._quoted_sender(sender)}\r\nRCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n"
        )
        mail, rcpt, data = smtp.getreply(), smtp.getreply(), smtp.getreply()
        for (code, text), stage, ok in ((mail, "mail", (250,)), (rcpt, "rcpt", (250, 251))):
            if code not in ok:
                if data[0] == 354:  # a server that took DATA anyway: end it empty, then reset
                    smtp.send(b".\r\n")
                    smtp.getreply()
                raise self._fail(code, text, stage=stage)
        if data[0] != 354:
            raise self._fail(*data, stage="data")
        body = _LEADING_DOT.sub(b"..", message) if message.startswith(b".") or b"\n." in message else message
        self._handed_over = True
        smtp.send(body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"))
        code, text = smtp.getreply()
        if code != 250:
            raise self._fail(code, text, stage="data")
        return _reply(code, text)

    def close(self) -> None:
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


_QUEUED_AS = re.compile(r"queued as ([A-Za-z0-9._@<>-]{1,200})")


def queue_id(reply: str) -> str:
    """The server's id for an accepted message ("250 2.0.0 Ok: queued as 4F2A…"), or ""."""
    m = _QUEUED_AS.search(reply)
    return m.group(1) if m else ""


TRANSPORT_ENV = "NEWSLETTER_TRANSPORT"
TRANSPORTS = ("auto", "outbox", "smtp", "ses")


def helo_name(config: Config) -> str:
    """The name this sender greets SMTP servers with (EHLO): the domain it sends from, so the
    greeting matches the envelope; the site's host when [email] from is not set."""
    domain = domain_of(config.email.sender).strip()
    return domain or urlsplit(config.site.base_url).hostname or "localhost"


def transport_from_config(config: Config) -> Transport:
    """The configured transport: `[delivery] transport` (NEWSLETTER_TRANSPORT overrides it), where
    `auto` is SMTP when NEWSLETTER_SMTP_URL is set, else the outbox folder; `ses` is Amazon SES
    (delivery/ses.py)."""
    kind = os.environ.get(TRANSPORT_ENV, "").strip().lower() or config.delivery.transport
    if kind not in TRANSPORTS:
        raise NewsletterError(f"{TRANSPORT_ENV}={kind!r} is not one of {', '.join(TRANSPORTS)}")
    if kind == "ses":
        from .ses import SesTransport

        return SesTransport(configuration_set=config.delivery.ses_configuration_set)
    url = os.environ.get(SMTP_URL_ENV, "")
    if kind == "smtp" or (kind == "auto" and url):
        if not url:
            raise NewsletterError(f"[delivery] transport is smtp but {SMTP_URL_ENV} is not set")
        settings = replace(smtp_settings(url), connect_timeout=config.delivery.connect_timeout)
        return SmtpTransport(settings, helo=helo_name(config))
    return OutboxTransport(config.path(config.delivery.outbox))


__all__ = [
    "ConnectFailure",
    "DeliveryFailure",
    "OutboxTransport",
    "Session",
    "SmtpSettings",
    "SmtpTransport",
    "Transport",
    "TransportFatal",
    "helo_name",
    "smtp_settings",
    "transport_from_config",
]
