"""Several `newsletter send` processes of one issue on one state split the recipients by row claims:
every address gets exactly one copy; a SIGKILLed sender's claims go to the others or to its rerun."""

from __future__ import annotations

import email
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from email import policy
from pathlib import Path

import pytest

from tests.state import query

from .conftest import SECRET, add_subscribers
from .smtp_servers import smtp_server, stored_messages

SENDERS = 3
CONNECTIONS = 2
SUBSCRIBERS = 2000


def _sender(news: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET, "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "send", "sample-issue",
         "--connections", str(CONNECTIONS)],
        cwd=news, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _received(store: Path) -> Counter[str]:
    return Counter(
        str(email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"])
        for p in stored_messages(store)
    )


def test_three_senders_at_once_send_every_address_exactly_once(news: Path, tmp_path: Path) -> None:
    addresses = [f"reader{i:04d}@example.org" for i in range(SUBSCRIBERS)]
    add_subscribers(news, addresses)
    store = tmp_path / "received"
    with smtp_server(store) as port:
        senders = [_sender(news, port) for _ in range(SENDERS)]
        outputs = [p.communicate(timeout=300) for p in senders]
    assert [p.returncode for p in senders] == [0] * SENDERS, outputs
    received = _received(store)
    assert set(received) == set(addresses) and set(received.values()) == {1}
    sent = [int(re.search(r"sent (\d+)", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(sent) == SUBSCRIBERS and sum(1 for n in sent if n) >= 2  # the work was shared
    assert query(news, "SELECT status, count(*) FROM deliveries GROUP BY status") == [("sent", SUBSCRIBERS)]
    assert query(news, "SELECT count(*) FROM deliveries WHERE claimed_by IS NOT NULL") == [(0,)]


def _kill_one_sender_and_restart(news: Path, tmp_path: Path, subscribers: int) -> None:
    """SENDERS senders at once; the first is SIGKILLed a quarter of the way and started again:
    every address received the issue, and duplicates are at most the rows it had in flight."""
    addresses = [f"reader{i:05d}@example.org" for i in range(subscribers)]
    add_subscribers(news, addresses)
    store = tmp_path / "received"
    with smtp_server(store) as port:
        senders = [_sender(news, port) for _ in range(SENDERS)]
        deadline = time.monotonic() + 60 + subscribers / 100
        while len(stored_messages(store)) < subscribers // 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        senders[0].send_signal(signal.SIGKILL)
        senders[0].wait()
        in_flight = query(news, "SELECT count(*) FROM deliveries WHERE status = 'sending'")[0][0]
        restarted = _sender(news, port)
        outputs = [p.communicate(timeout=300 + subscribers // 20) for p in [*senders[1:], restarted]]
    assert all(p.returncode == 0 for p in [*senders[1:], restarted]), outputs
    received = _received(store)
    assert set(received) == set(addresses)
    assert sum(n - 1 for n in received.values()) <= in_flight <= SENDERS * CONNECTIONS


def test_a_killed_sender_leaves_nobody_out_and_doubles_only_what_was_in_flight(
    news: Path, tmp_path: Path
) -> None:
    _kill_one_sender_and_restart(news, tmp_path, SUBSCRIBERS)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_twenty_thousand_on_postgresql_with_a_killed_sender(news: Path, tmp_path: Path) -> None:
    """The deployment's case at list size: three senders on one PostgreSQL, one killed mid-run."""
    _kill_one_sender_and_restart(news, tmp_path, 20_000)
