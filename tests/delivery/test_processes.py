"""SMTP sessions held by child processes: replies and failures as in process, no child outliving
its sender, a child's death reported as maybe delivered (never resent silently)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsletter.delivery.processes import SessionProcesses, use_processes
from newsletter.delivery.transports import (
    ConnectFailure,
    DeliveryFailure,
    OutboxTransport,
    SmtpSettings,
    SmtpTransport,
)

from .smtp_servers import FaultPlan, free_port, smtp_server, stored_messages

SENDER = "newsletter@example.org"
MESSAGE = b"From: newsletter@example.org\r\nTo: a@example.org\r\nSubject: hi\r\n\r\n.dot line\r\nbody\r\n"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sessions in processes: Linux")


def smtp(port: int) -> SmtpTransport:
    return SmtpTransport(SmtpSettings("127.0.0.1", port, implicit_tls=False))


def test_only_smtp_sessions_go_to_processes(tmp_path: Path) -> None:
    assert use_processes(smtp(25))
    assert not use_processes(OutboxTransport(tmp_path / "outbox"))


def test_a_child_sends_and_reports_refusals_as_the_session_would(tmp_path: Path) -> None:
    store = tmp_path / "received"
    plan = FaultPlan(seed=3, temporary=0.0, permanent=0.3, drop_every=0)
    addresses = [f"reader{i}@example.org" for i in range(20)]
    refused = [a for a in addresses if plan.refuses(a)]
    assert 0 < len(refused) < len(addresses)
    with smtp_server(store, plan, pipelining=True) as port:
        sessions = SessionProcesses(smtp(port), 2)
        try:
            first, second = sessions.open(), sessions.open()
            for i, address in enumerate(addresses):
                session = (first, second)[i % 2]
                if address in refused:
                    with pytest.raises(DeliveryFailure) as failure:
                        session.send(SENDER, address, MESSAGE)
                    assert failure.value.permanent and failure.value.recipient_refused
                    assert failure.value.reply.startswith("550")
                else:
                    assert session.send(SENDER, address, MESSAGE).startswith("250")
            first.close()
            second.close()
        finally:
            sessions.close()
    received = stored_messages(store)
    assert len(received) == len(addresses) - len(refused)
    assert b"\r\n.dot line\r\n" in received[0].read_bytes()


def test_a_refused_connection_is_a_connect_failure(tmp_path: Path) -> None:
    sessions = SessionProcesses(smtp(free_port()), 1)
    try:
        with pytest.raises(ConnectFailure):
            sessions.open()
        with pytest.raises(ConnectFailure):  # the child is back in the pool and answers again
            sessions.open()
    finally:
        sessions.close()


def test_a_child_that_dies_holding_a_message_makes_it_unknown(tmp_path: Path) -> None:
    with smtp_server(tmp_path / "received") as port:
        sessions = SessionProcesses(smtp(port), 1)
        try:
            session = sessions.open()
            (child,) = sessions.children
            os.kill(child.process.pid, signal.SIGKILL)
            child.process.join(5)
            with pytest.raises(DeliveryFailure) as failure:
                session.send(SENDER, "a@example.org", MESSAGE)
            assert failure.value.ambiguous and failure.value.connection_lost
            session.close()
            with pytest.raises(ConnectFailure):
                sessions.open()
        finally:
            sessions.close()


CHILD_OF_A_SENDER = """
import sys, time
from newsletter.delivery.processes import SessionProcesses
from newsletter.delivery.transports import SmtpSettings, SmtpTransport
sessions = SessionProcesses(SmtpTransport(SmtpSettings("127.0.0.1", 9, implicit_tls=False)), 3)
print(" ".join(str(c.process.pid) for c in sessions.children), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:  # a zombie has ended
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_no_child_outlives_a_killed_sender() -> None:
    sender = subprocess.Popen([sys.executable, "-c", CHILD_OF_A_SENDER], stdout=subprocess.PIPE, text=True)
    assert sender.stdout is not None
    children = [int(pid) for pid in sender.stdout.readline().split()]
    assert len(children) == 3 and all(_alive(pid) for pid in children)
    sender.kill()
    sender.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in children)
