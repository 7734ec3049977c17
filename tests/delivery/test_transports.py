"""SMTP sessions against a real server (aiosmtpd in its own process), with and without PIPELINING."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.delivery.transports import DeliveryFailure, SmtpSettings, SmtpTransport

from .smtp_servers import FaultPlan, smtp_server, stored_messages

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
