"""Kill a sender process with SIGKILL at random points, restarting after each, then let it finish."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from tests.state import query


def count(root: Path, status: str) -> int:
    """Ledger rows with `status` in the state of the newsletter in `root` (0 before it exists)."""
    try:
        return int(query(root, "SELECT count(*) FROM deliveries WHERE status = :s", s=status)[0][0])
    except DBAPIError:  # not created yet
        return 0


def kill_repeatedly(
    root: Path,
    start: Callable[[], subprocess.Popen[bytes]],
    delivered: Callable[[], int],
    *,
    kills: int,
    rng: random.Random,
    step: tuple[int, int],
) -> tuple[list[int], str]:
    """Start the sender and SIGKILL it after a random `step` more messages are sent, `kills` times
    (checking that nothing arrives after a kill); then one run to the end, which must succeed.
    Returns the `sending` rows (in flight) at each kill, and the final run's stderr."""
    in_flight: list[int] = []
    while len(in_flight) < kills:
        target = count(root, "sent") + rng.randint(*step)
        proc = start()
        deadline = time.monotonic() + 60
        while proc.poll() is None and count(root, "sent") < target and time.monotonic() < deadline:
            time.sleep(0.002)
        if proc.poll() is not None:
            pytest.fail(f"the sender finished before kill {len(in_flight) + 1}: "
                        f"{proc.stdout.read().decode()}{proc.stderr.read().decode()}")  # type: ignore[union-attr]  # fmt: skip
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        in_flight.append(count(root, "sending"))
        time.sleep(0.2)  # the server may still be finishing a transaction the sender completed
        settled = delivered()
        time.sleep(0.4)
        assert delivered() == settled, "something kept sending after the kill"
    final = start()
    out, err = final.communicate(timeout=180)
    assert final.returncode == 0, out.decode() + err.decode()
    return in_flight, err.decode()


def assert_nobody_missed(
    received: Counter[str], addresses: Iterable[str], in_flight: list[int], *, connections: int
) -> None:
    """Everyone got the message; a second copy only for messages in flight at a kill."""
    assert set(received) == set(addresses)
    duplicates = sum(n - 1 for n in received.values())
    assert all(n <= connections for n in in_flight), in_flight
    assert duplicates <= sum(in_flight), (duplicates, in_flight)
    print(f"in flight at kills: {in_flight}, duplicates: {duplicates}")
