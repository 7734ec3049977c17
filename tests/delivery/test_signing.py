"""DKIM: with a key configured every message is signed, and the signature verifies."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import dkim
import pytest
from conftest import require

from newsletter.config import load_config
from newsletter.delivery.send import find_issue, send_issue
from newsletter.delivery.transports import OutboxTransport
from newsletter.errors import NewsletterError
from newsletter.outputs.built import built_email

from .conftest import SECRET, add_subscribers


def _configure_dkim(news: Path, key: Path) -> None:
    toml = news / "newsletter.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "[email]\n",
            f'[email]\ndkim_key_file = "{key}"\ndkim_selector = "news2025"\ndkim_domain = "example.org"\n',
        ),
        encoding="utf-8",
    )


def test_messages_are_dkim_signed(news: Path, tmp_path: Path) -> None:
    require(shutil.which("openssl") is not None, "openssl (to make a throwaway DKIM key)")
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    _configure_dkim(news, key)
    add_subscribers(news, ["a@example.org"], name="Jürgen")
    config = load_config(news / "newsletter.toml")
    issue = find_issue(config, "sample-issue", news / "public")
    html, text = built_email(news / "public", issue)
    outbox = OutboxTransport(news / "state" / "outbox")
    assert send_issue(config, issue, html=html, text=text, secret=SECRET, transport=outbox).sent == 1
    (path,) = (news / "state" / "outbox" / "new").iterdir()
    data = path.read_bytes()
    assert data.startswith(b"DKIM-Signature: ")
    assert b"d=example.org" in data and b"s=news2025" in data
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"news2025._domainkey.example.org."
        return record

    assert dkim.verify(data, dnsfunc=dns)
    assert not dkim.verify(data.replace(b"Abmelden", b"Abmeldex"), dnsfunc=dns)


def test_unreadable_dkim_key_is_one_error(news: Path, tmp_path: Path) -> None:
    key = tmp_path / "not-a-key.pem"
    key.write_text("not a key\n")
    _configure_dkim(news, key)
    config = load_config(news / "newsletter.toml")
    issue = find_issue(config, "sample-issue", news / "public")
    html, text = built_email(news / "public", issue)
    with pytest.raises(NewsletterError, match=r"not-a-key\.pem: the DKIM key cannot sign"):
        send_issue(
            config, issue, html=html, text=text, secret=SECRET, transport=OutboxTransport(tmp_path / "o")
        )
