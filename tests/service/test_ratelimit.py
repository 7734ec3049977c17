"""The per-client token bucket."""

from __future__ import annotations

from newsletter.service.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_the_limit_then_one_per_interval() -> None:
    clock = Clock()
    limiter = RateLimiter(10, clock=clock)
    assert [limiter.allow("a") for _ in range(10)] == [0.0] * 10
    wait = limiter.allow("a")
    assert 5.9 < wait <= 6.0  # 10 a minute: one token every 6 seconds
    clock.now += 6
    assert limiter.allow("a") == 0.0
    assert limiter.allow("a") > 0


def test_clients_are_limited_separately() -> None:
    limiter = RateLimiter(1, clock=Clock())
    assert limiter.allow("a") == 0.0 and limiter.allow("a") > 0
    assert limiter.allow("b") == 0.0


def test_memory_stays_bounded_under_a_flood_of_clients() -> None:
    clock = Clock()
    limiter = RateLimiter(5, clock=clock, max_clients=100)
    for i in range(1000):
        limiter.allow(f"client-{i}")
    assert len(limiter._buckets) <= 100
