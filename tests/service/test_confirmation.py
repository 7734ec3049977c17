"""The confirmation token and mail; a mail that cannot be sent gives the sign-up back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from delivery.smtp_servers import free_port
from flask import Flask
from sqlalchemy import text

from newsletter.config import load_config
from newsletter.delivery.tokens import BadToken
from newsletter.delivery.transports import SmtpTransport, smtp_settings
from newsletter.errors import NewsletterError
from newsletter.service.app import create_app
from newsletter.service.confirmation import confirm_token, confirmation_message, read_confirm_token

from .conftest import ALLOWED_ORIGIN, SECRET, service_of, subscribers


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


def test_the_same_sign_up_makes_the_same_mail(app: Flask) -> None:
    service = service_of(app)
    args = dict(address="a@example.org", name="", language="en", confirm_url="https://x/confirm/t",
                max_age=dt.timedelta(days=7), date=dt.datetime(2025, 11, 20, tzinfo=dt.UTC))  # fmt: skip
    one = confirmation_message(service.config, service.pages, **args).as_bytes()  # type: ignore[arg-type]
    two = confirmation_message(service.config, service.pages, **args).as_bytes()  # type: ignore[arg-type]
    assert one == two and b"The link is valid for 7 days." in one


def test_an_unreachable_mail_server_gives_the_sign_up_back(news: Path) -> None:
    dead = SmtpTransport(smtp_settings(f"smtp://127.0.0.1:{free_port()}"))  # nothing listens there
    app = create_app(load_config(news), transport=dead)
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
