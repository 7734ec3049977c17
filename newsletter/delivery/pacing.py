"""How fast a send may go: messages per second and a per-hour cap (providers' quotas)."""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable


class Pacer:
    """Messages per second and a per-hour cap (providers' quotas); both off when 0."""

    def __init__(
        self,
        rate_per_second: float,
        hourly_cap: int,
        sent_in_last_hour: list[float] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        notice: Callable[[str], None] | None = None,
    ):
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self.cap = hourly_cap
        self.clock, self.sleep, self.notice = clock, sleep, notice
        self.window: deque[float] = deque(sent_in_last_hour or [])
        self.next_at = 0.0

    def wait(self) -> None:
        """Block until one more message may go out."""
        now = self.clock()
        if self.cap:
            while self.window and self.window[0] <= now - 3600:
                self.window.popleft()
            if len(self.window) >= self.cap:
                resume = self.window[0] + 3600
                if self.notice:
                    when = dt.datetime.fromtimestamp(resume).strftime("%H:%M:%S")
                    self.notice(f"hourly cap of {self.cap} reached; waiting until {when}")
                self.sleep(max(0.0, resume - now))
                now = self.clock()
                self.window.popleft()
        if self.interval:
            if self.next_at > now:
                self.sleep(self.next_at - now)
                now = self.clock()
            self.next_at = max(now, self.next_at) + self.interval
        if self.cap:
            self.window.append(now)
