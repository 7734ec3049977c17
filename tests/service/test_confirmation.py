"""The confirmation token and mail; a mail that cannot be sent gives the sign-up back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
from email.utils import getaddresses
from pathlib import Path

import pytest
from delivery.smtp_servers import free_port, smtp_server, stored_messages
from flask import Flask
from sqlalchemy import text

from newsletter.config import load_config
from newsletter.delivery.tokens import BadToken
from newsletter.delivery.transports import SmtpTransport, smtp_settings
from newsletter.errors import NewsletterError
from newsletter.outputs.message import sender_address
from newsletter.service.confirmation import confirm_token, confirmation_message, read_confirm_token

from .conftest import ALLOWED_ORIGIN, DATA, SECRET, rows, service_app, service_of, subscribers

ATTACKS = (DATA.parent / "hostile" / "header-injection-names.txt").read_text(encoding="utf-8").splitlines()


def test_the_token_round_trips_and_expires() -> None:
    token = confirm_token(SECRET, "a@example.org", "n0nce", "fr")
    assert read_confirm_token(SECRET, token, dt.timedelta(days=7)) == ("a@example.org", "n0nce", "fr")
    with pytest.raises(BadToken):
        read_confirm_token("other-secret", token, dt.timedelta(days=7))


def test_a_name_with_a_line_break_never_becomes_a_header(app: Flask) -> None:
    service = service_of(app)
    with pytest.raises(NewsletterError, match="line break"):
        confirmation_message(
            service.config, service.pages, address="a@example.org", name="Eve\r\nBcc: x@example.org",
            language="de", confirm_url="https://x/confirm/t", max_age=dt.timedelta(days=7),
            date=dt.datetime(2025, 11, 20, tzinfo=dt.UTC),
        )  # fmt: skip


@pytest.mark.parametrize("name", ATTACKS)
def test_a_name_that_skipped_validation_still_gives_one_recipient(app: Flask, name: str) -> None:
    service = service_of(app)
    data = confirmation_message(
        service.config, service.pages, address="victim@example.org", name=name, language="de",
        confirm_url="https://x/confirm/t", max_age=dt.timedelta(days=7),
        date=dt.datetime(2025, 11, 20, tzinfo=dt.UTC),
    ).as_bytes()  # fmt: skip
    assert_one_recipient(data, "victim@example.org")


def assert_one_recipient(data: bytes, address: str) -> None:
    """The mail's bytes hold the confirmation's headers, once each, and its To names `address` only."""
    parsed = email.message_from_bytes(data, policy=email.policy.SMTP)
    keys = [k.lower() for k in parsed]
    assert sorted(keys) == sorted(
        ["from", "to", "reply-to", "subject", "date", "message-id", "auto-submitted", "mime-version",
         "content-type", "content-language"][: len(keys)]
    ) or set(keys) <= {"from", "to", "reply-to", "subject", "date", "message-id", "auto-submitted",
                       "mime-version", "content-type", "content-language"}  # fmt: skip
    assert len(keys) == len(set(keys)) and "bcc" not in keys
    assert [a.addr_spec for a in parsed["To"].addresses] == [address]
    (to,) = [line for line in data.split(b"\r\n\r\n")[0].decode().replace("\r\n ", " ").split("\r\n")
             if line.lower().startswith("to:")]  # fmt: skip
    assert [a for _, a in getaddresses([to[3:]])] == [address]
    assert b"evil.example/" not in data


@pytest.mark.parametrize("name", ATTACKS)
def test_a_sign_up_with_an_attackers_name_is_refused_and_mails_nothing(
    news: Path, tmp_path: Path, name: str
) -> None:
    """The report's attack through POST /subscribe, against a real SMTP server."""
    store = tmp_path / "received"
    with smtp_server(store) as port:
        app = service_app(
            load_config(news), transport=SmtpTransport(smtp_settings(f"smtp://127.0.0.1:{port}"))
        )
        client = app.test_client()
        fields = {"email": "victim@example.org", "language": "de", "name": name}
        r = client.post("/subscribe", json=fields, headers={"Origin": ALLOWED_ORIGIN})
        assert r.status_code == 400 and r.get_json()["error"] == "malformed"
        # A name with specials but no address in it is accepted, decoded, and mailed to one recipient.
        fields["name"] = "=?utf-8?q?J=C3=BCrgen?=, Eve: Bcc"
        assert client.post("/subscribe", json=fields, headers={"Origin": ALLOWED_ORIGIN}).status_code == 202
        assert service_of(app).mailer.wait_idle()
    assert rows(news) == {"victim@example.org": "pending"}
    (received,) = stored_messages(store)
    data = received.read_bytes()
    assert_one_recipient(data, "victim@example.org")
    parsed = email.message_from_bytes(data, policy=email.policy.SMTP)
    assert parsed["To"].addresses[0].display_name == "Jürgen, Eve: Bcc"


def test_confirmations_and_issues_have_the_same_default_sender(app: Flask) -> None:
    service = service_of(app)
    site = dataclasses.replace(service.config.site, title="Novastan, e.V.")
    config = dataclasses.replace(
        service.config, site=site, email=dataclasses.replace(service.config.email, sender="")
    )
    data = confirmation_message(
        config, service.pages, address="a@example.org", name="", language="de", confirm_url="https://x/confirm/t",
        max_age=dt.timedelta(days=7), date=dt.datetime(2025, 11, 20, tzinfo=dt.UTC),
    ).as_bytes()  # fmt: skip
    sender = email.message_from_bytes(data, policy=email.policy.SMTP)["From"]
    assert [(a.display_name, a.addr_spec) for a in sender.addresses] == [
        ("Novastan, e.V.", "newsletter@news.example.org")
    ]
    assert sender_address(config) == '"Novastan, e.V." <newsletter@news.example.org>'


def test_the_same_sign_up_makes_the_same_mail(app: Flask) -> None:
    service = service_of(app)
    args = dict(address="a@example.org", name="", language="en", confirm_url="https://x/confirm/t",
                max_age=dt.timedelta(days=7), date=dt.datetime(2025, 11, 20, tzinfo=dt.UTC))  # fmt: skip
    one = confirmation_message(service.config, service.pages, **args).as_bytes()  # type: ignore[arg-type]
    two = confirmation_message(service.config, service.pages, **args).as_bytes()  # type: ignore[arg-type]
    assert one == two and b"The link is valid for 7 days." in one


def test_an_unreachable_mail_server_gives_the_sign_up_back(news: Path) -> None:
    dead = SmtpTransport(smtp_settings(f"smtp://127.0.0.1:{free_port()}"))  # nothing listens there
    app = service_app(load_config(news), transport=dead)
    service = service_of(app)
    service.mailer.retry_delay = 0.01
    client = app.test_client()
    r = client.post("/subscribe", data={"email": "a@example.org"}, headers={"Origin": ALLOWED_ORIGIN})
    assert r.status_code == 200  # the same answer: the mail goes out (or not) after it
    assert service.mailer.wait_idle()
    assert service.mailer.failed == 1
    subs = subscribers(news)
    row = subs.db.execute(text("SELECT sends, last_sent FROM pending_signups")).first()
    assert row == (0, "")  # so signing up again right away sends a new mail
    subs.close()
