"""A throwaway newsletter for the subscription service, its app, and readers of its outbox."""

from __future__ import annotations

import email
import re
import shutil
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from newsletter.config import load_config
from newsletter.delivery.subscribers import SubscriberList
from newsletter.service.app import Service, create_app
from tests.state import state_url, use_backend

DATA = Path(__file__).resolve().parents[1] / "data" / "service"
SECRET = "service-test-secret-0123456789"
ALLOWED_ORIGIN = "https://news.example.org"


@pytest.fixture
def news(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    """A newsletter folder (editions de, fr, en); secret set, no SMTP URL: mail goes to the outbox;
    its state on each backend in turn."""
    root = tmp_path / "news"
    root.mkdir()
    shutil.copy(DATA / "newsletter.toml", root / "newsletter.toml")
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    for name in ("NEWSLETTER_SMTP_URL", "NEWSLETTER_SMTP_USER", "NEWSLETTER_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    use_backend(database_url, monkeypatch)
    return root


def add_service_table(root: Path, **keys: Any) -> None:
    """Append a [service] table to the newsletter's config."""
    lines = ["", "[service]"]
    for k, v in keys.items():
        value = f'"{v}"' if isinstance(v, str) else (str(v).lower() if isinstance(v, bool) else repr(v))
        lines.append(f"{k} = {value}".replace("'", '"'))
    with open(root / "newsletter.toml", "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


@pytest.fixture
def make_app(news: Path) -> Callable[..., Flask]:
    def make(**service_keys: Any) -> Flask:
        if service_keys:
            add_service_table(news, **service_keys)
        app = create_app(load_config(news / "newsletter.toml"))
        app.testing = True
        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def service_of(app: Flask) -> Service:
    service: Service = app.extensions["newsletter"]
    return service


def csrf_token(client: FlaskClient, lang: str = "") -> str:
    """GET the service's form (sets the cookie) and return its hidden token."""
    page = client.get("/subscribe" + (f"?lang={lang}" if lang else "")).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, page
    return m.group(1)


def outbox(app: Flask, root: Path) -> list[EmailMessage]:
    """The confirmation mails sent so far (waits for the mail queue)."""
    assert service_of(app).mailer.wait_idle()
    folder = root / "state" / "outbox" / "new"
    messages = []
    files = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns) if folder.is_dir() else []
    for p in files:  # oldest first
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        messages.append(msg)
    return messages


def confirm_url(msg: EmailMessage) -> str:
    """The confirmation link in a mail's text part."""
    text = msg.get_body(("plain",))
    assert text is not None
    m = re.search(r"https?://\S+/confirm/\S+", text.get_content())
    assert m, text.get_content()
    return m.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def subscribers(root: Path) -> SubscriberList:
    return SubscriberList(state_url(root))


def rows(root: Path) -> dict[str, str]:
    """address -> status (or 'pending') of everyone the database knows."""
    subs = subscribers(root)
    try:
        found = {s.address: s.status for s in subs.stream()}
        for (address,) in subs.db.execute(text("SELECT address FROM pending_signups")):
            found.setdefault(address, "pending")
        return found
    finally:
        subs.close()
