"""SIGKILL the sender at random points, ten times, restarting after each: nobody is missed, and
only messages in flight at a kill (at most one per connection) can arrive twice."""

from __future__ import annotations

import email
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from email import policy
from pathlib import Path

import psycopg
import pytest

from newsletter.store import DATABASE_URL_ENV
from tests.state import query

from .conftest import SECRET, add_subscribers
from .smtp_servers import smtp_server, stored_messages

CONNECTIONS = 4
KILLS = 10


def _count(root: Path, status: str) -> int:
    return int(query(root, "SELECT count(*) FROM deliveries WHERE status = :s", s=status)[0][0])


def _sender(news: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET, "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter.delivery.cli", "send", "sample-issue",
         "--connections", str(CONNECTIONS), "--retry-delay", "0.05"],
        cwd=news, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_ten_kills_lose_nobody(news: Path, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("NEWSLETTER_TEST_SEED", "20251120")))
    addresses = [f"reader{i:03d}@example.org" for i in range(300)]
    add_subscribers(news, addresses)
    store = tmp_path / "received"
    in_flight_at_kills: list[int] = []
    with smtp_server(store) as port:
        while len(in_flight_at_kills) < KILLS:
            before = _count(news, "sent")
            target = before + rng.randint(3, 18)
            proc = _sender(news, port)
            deadline = time.monotonic() + 60
            while proc.poll() is None and _count(news, "sent") < target and time.monotonic() < deadline:
                time.sleep(0.002)
            if proc.poll() is not None:
                pytest.fail(f"the sender finished before kill {len(in_flight_at_kills) + 1}: "
                            f"{proc.stdout.read().decode()}{proc.stderr.read().decode()}")  # type: ignore[union-attr]  # fmt: skip
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            in_flight_at_kills.append(_count(news, "sending"))
            time.sleep(0.2)  # the server may still be finishing a transaction the sender completed
            settled = len(stored_messages(store))
            time.sleep(0.4)
            assert len(stored_messages(store)) == settled, "something kept sending after the kill"
        final = _sender(news, port)
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, out.decode() + err.decode()
        assert "note:" in err.decode() or in_flight_at_kills[-1] == 0
    received = Counter(
        email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"] for p in stored_messages(store)
    )
    assert set(received) == set(addresses)
    duplicates = sum(n - 1 for n in received.values())
    assert all(n <= CONNECTIONS for n in in_flight_at_kills), in_flight_at_kills
    assert duplicates <= sum(in_flight_at_kills), (duplicates, in_flight_at_kills)
    assert _count(news, "sent") == len(addresses)
    print(f"in flight at kills: {in_flight_at_kills}, duplicates: {duplicates}")


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
        while proc.poll() is None and _count(news, "sent") < 100 and time.monotonic() < deadline:
            time.sleep(0.005)
        # What a server restart does to its clients: every connection of the sender is ended.
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'newsletter' AND pid <> pg_backend_pid()"
            )
        out, err = proc.communicate(timeout=120)
        in_flight = _count(news, "sending")
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
