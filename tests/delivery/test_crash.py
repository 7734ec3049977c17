"""SIGKILL the sender at random points, ten times, restarting after each: nobody is missed, and
only messages in flight at a kill (at most one per connection) can arrive twice."""

from __future__ import annotations

import email
import os
import random
import subprocess
import sys
import time
from collections import Counter
from email import policy
from pathlib import Path

import psycopg
import pytest

from newsletter.store import DATABASE_URL_ENV

from .conftest import SECRET, add_subscribers
from .kills import assert_nobody_missed, count, kill_repeatedly
from .smtp_servers import smtp_server, stored_messages

CONNECTIONS = 4
KILLS = 10


def _sender(news: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET, "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "send", "sample-issue",
         "--connections", str(CONNECTIONS), "--retry-delay", "0.05"],
        cwd=news, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_ten_kills_lose_nobody(news: Path, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("NEWSLETTER_TEST_SEED", "20251120")))
    addresses = [f"reader{i:03d}@example.org" for i in range(300)]
    add_subscribers(news, addresses)
    store = tmp_path / "received"
    with smtp_server(store) as port:
        in_flight_at_kills, err = kill_repeatedly(
            news, lambda: _sender(news, port), lambda: len(stored_messages(store)),
            kills=KILLS, rng=rng, step=(3, 18),
        )  # fmt: skip
        assert "note:" in err or in_flight_at_kills[-1] == 0
    received = Counter(
        email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"] for p in stored_messages(store)
    )
    assert_nobody_missed(received, addresses, in_flight_at_kills, connections=CONNECTIONS)
    assert count(news, "sent") == len(addresses)


def test_a_database_restart_mid_send_stops_cleanly_and_a_rerun_completes(news: Path, tmp_path: Path) -> None:
    url = os.environ.get(DATABASE_URL_ENV, "")
    if not url.startswith("postgresql"):
        pytest.skip("a database server restart: PostgreSQL")
    addresses = [f"reader{i:04d}@example.org" for i in range(1000)]
    add_subscribers(news, addresses)
    store = tmp_path / "received"
    with smtp_server(store) as port:
        proc = _sender(news, port)
        deadline = time.monotonic() + 60
        while proc.poll() is None and count(news, "sent") < 100 and time.monotonic() < deadline:
            time.sleep(0.005)
        # What a server restart does to its clients: every connection of the sender is ended.
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'newsletter' AND pid <> pg_backend_pid()"
            )
        out, err = proc.communicate(timeout=120)
        in_flight = count(news, "sending")
        if proc.returncode != 0:  # stopped: one line saying what happened, nothing else
            assert proc.returncode == 1 and err.decode().count("\n") == 1, err.decode()
            assert "database" in err.decode() and "Traceback" not in err.decode()
        final = _sender(news, port)
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, out.decode() + err.decode()
    received = Counter(
        email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"] for p in stored_messages(store)
    )
    assert set(received) == set(addresses)
    assert sum(n - 1 for n in received.values()) <= max(in_flight, 0) <= CONNECTIONS
