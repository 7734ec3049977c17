"""SIGKILL `newsletter send` mid-run through SES, then rerun: nobody missed, and only messages in
flight at a kill (at most one per connection) can arrive twice."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

from .conftest import SECRET, add_subscribers
from .kills import assert_nobody_missed, count, kill_repeatedly
from .ses_servers import aws_env, emulator_store, ses_emulator

CONNECTIONS = 4
KILLS = 4


def _sender(news: Path, endpoint: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **aws_env(endpoint), "NEWSLETTER_SECRET": SECRET, "NEWSLETTER_TRANSPORT": "ses"}
    env.pop("AWS_PROFILE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "send", "sample-issue",
         "--connections", str(CONNECTIONS), "--retry-delay", "0.05"],
        cwd=news, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_kills_lose_nobody_and_duplicate_at_most_the_in_flight(news: Path) -> None:
    rng = random.Random(int(os.environ.get("NEWSLETTER_TEST_SEED", "20251206")))
    addresses = [f"reader{i:03d}@example.org" for i in range(400)]
    add_subscribers(news, addresses)
    with ses_emulator() as url:
        in_flight_at_kills, _ = kill_repeatedly(
            news, lambda: _sender(news, url), lambda: len(emulator_store(url)),
            kills=KILLS, rng=rng, step=(10, 60),
        )  # fmt: skip
        received = Counter(a for m in emulator_store(url) for a in m["destination"]["to"])
    assert_nobody_missed(received, addresses, in_flight_at_kills, connections=CONNECTIONS)
    assert count(news, "sent") == len(addresses)
