"""Per-client rate limiting: one token bucket per client address, in this process's memory.

In-process on purpose: the service runs as one process (threads), and a limit that resets on
restart is fine against form spam. Under several gunicorn workers each has its own buckets, so
the effective limit is per worker; run one worker with threads (see docs/subscription-service.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """`per_minute` requests per client, in bursts of up to `per_minute` (a token bucket)."""

    def __init__(
        self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_clients: int = 100_000
    ):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0.0 if `client` may go on (a token is taken); else the seconds until it may retry."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return (1.0 - tokens) / self.rate
            if len(self._buckets) >= self.max_clients and client not in self._buckets:
                self._forget_full(now)
            self._buckets[client] = (tokens - 1.0, now)
            return 0.0

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (they behave like new ones), so memory stays bounded."""
        full = [c for c, (tok, at) in self._buckets.items() if tok + (now - at) * self.rate >= self.capacity]
        for c in full:
            del self._buckets[c]
        if len(self._buckets) >= self.max_clients:  # a flood of distinct clients: start over
            self._buckets.clear()
