"""SIGKILL the sender at random points, ten times, restarting after each: nobody is missed, and
only messages in flight at a kill (at most one per connection) can arrive twice."""

from __future__ import annotations

import email
import os
import random
import subprocess
import sys
from collections import Counter
from email import policy
from pathlib import Path

from .conftest import SECRET, add_subscribers
from .kills import assert_nobody_missed, count, kill_repeatedly
from .smtp_servers import smtp_server, stored_messages

CONNECTIONS = 4
KILLS = 10


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
    db_path = news / "state" / "newsletter.db"
    store = tmp_path / "received"
    with smtp_server(store) as port:
        in_flight_at_kills, err = kill_repeatedly(
            db_path, lambda: _sender(news, port), lambda: len(stored_messages(store)),
            kills=KILLS, rng=rng, step=(3, 18),
        )  # fmt: skip
        assert "note:" in err or in_flight_at_kills[-1] == 0
    received = Counter(
        email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"] for p in stored_messages(store)
    )
    assert_nobody_missed(received, addresses, in_flight_at_kills, connections=CONNECTIONS)
    assert count(db_path, "sent") == len(addresses)
