"""SMTP sessions against a real server (aiosmtpd in its own process), with and without PIPELINING."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from newsletter.config import Config, load_config
from newsletter.delivery.transports import (
    SMTP_URL_ENV,
    DeliveryFailure,
    OutboxTransport,
    SmtpSettings,
    SmtpTransport,
    helo_name,
    transport_from_config,
)
from newsletter.errors import NewsletterError

from .smtp_servers import FaultPlan, smtp_server, stored_messages

DELIVERY_DATA = Path(__file__).parents[1] / "data" / "delivery"

SENDER = "newsletter@example.org"
# Lines that start with "." (a lone one ends DATA unless doubled) and "From ", CRLF throughout.
MESSAGE = (
    b"From: newsletter@example.org\r\nTo: a@example.org\r\nSubject: dots\r\n\r\n"
    b".hidden line\r\n.\r\n..two dots\r\nFrom the start\r\nlast line without a break"
)
MODES = pytest.mark.parametrize("pipelining", [False, True], ids=["one-command-at-a-time", "pipelining"])


@MODES
def test_message_arrives_byte_for_byte(tmp_path: Path, pipelining: bool) -> None:
    store = tmp_path / "received"
    with smtp_server(store, pipelining=pipelining) as port:
        session = SmtpTransport(SmtpSettings("127.0.0.1", port, implicit_tls=False)).open()
        assert session.pipelining is pipelining
        try:
            for n in range(3):  # one connection, several transactions
                reply = session.send(SENDER, f"reader{n}@example.org", MESSAGE)
                assert reply.startswith("250")
        finally:
            session.close()
    received = [p.read_bytes() for p in stored_messages(store)]
    assert len(received) == 3
    assert all(data == MESSAGE + b"\r\n" for data in received)  # SMTP ends the last line


@MODES
def test_refused_recipient_is_permanent_and_the_connection_goes_on(tmp_path: Path, pipelining: bool) -> None:
    plan = FaultPlan(seed=3, temporary=0.0, permanent=0.5, drop_every=0)
    addresses = [f"reader{n}@example.org" for n in range(12)]
    refused = [a for a in addresses if plan.refuses(a)]
    assert 0 < len(refused) < len(addresses)
    store = tmp_path / "received"
    with smtp_server(store, plan, pipelining=pipelining) as port:
        session = SmtpTransport(SmtpSettings("127.0.0.1", port, implicit_tls=False)).open()
        try:
            for address in addresses:
                if address in refused:
                    with pytest.raises(DeliveryFailure) as failure:
                        session.send(SENDER, address, MESSAGE)
                    assert failure.value.permanent and failure.value.recipient_refused
                    assert failure.value.reply.startswith("550 5.1.1")
                    assert not failure.value.connection_lost
                else:
                    assert session.send(SENDER, address, MESSAGE).startswith("250")
        finally:
            session.close()
    assert len(stored_messages(store)) == len(addresses) - len(refused)


@MODES
def test_deferred_recipient_or_data_is_temporary(tmp_path: Path, pipelining: bool) -> None:
    plan = FaultPlan(seed=5, temporary=1.0, permanent=0.0, drop_every=0)
    store = tmp_path / "received"
    with smtp_server(store, plan, pipelining=pipelining) as port:
        session = SmtpTransport(SmtpSettings("127.0.0.1", port, implicit_tls=False)).open()
        try:
            for n in range(6):
                with pytest.raises(DeliveryFailure) as failure:
                    session.send(SENDER, f"reader{n}@example.org", MESSAGE)
                assert not failure.value.permanent and failure.value.reply.startswith("451")
        finally:
            session.close()
    assert stored_messages(store) == []


def _config(tmp_path: Path, transport: str = "auto") -> Config:
    text = (DELIVERY_DATA / "newsletter.toml").read_text(encoding="utf-8")
    text = text.replace("[delivery]\n", f'[delivery]\ntransport = "{transport}"\n')
    (tmp_path / "newsletter.toml").write_text(text, encoding="utf-8")
    return load_config(tmp_path / "newsletter.toml")


def test_the_helo_name_is_the_sending_domain_or_the_sites_host(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert helo_name(config) == "example.org"  # from = "Testpost <newsletter@example.org>"
    no_sender = replace(config, email=replace(config.email, sender=""))
    assert helo_name(no_sender) == "news.example.org"


def test_transport_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SMTP_URL_ENV, raising=False)
    config = _config(tmp_path)
    outbox = transport_from_config(config)
    assert isinstance(outbox, OutboxTransport) and str(tmp_path / "state" / "outbox") in outbox.describe()
    monkeypatch.setenv(SMTP_URL_ENV, "smtp://127.0.0.1:2599")
    smtp = transport_from_config(config)
    assert isinstance(smtp, SmtpTransport) and smtp.helo == "example.org"
    monkeypatch.delenv(SMTP_URL_ENV)
    with pytest.raises(NewsletterError, match="transport is smtp but NEWSLETTER_SMTP_URL is not set"):
        transport_from_config(_config(tmp_path, "smtp"))
