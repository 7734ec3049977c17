"""Confirmation mails go out from a background queue, not from the request.

Why: a request that sends a mail takes longer than one that does not (an already active
address gets none), and that difference would tell a stranger who is subscribed. The answer
is given at once, the same for every address; a worker sends, retrying a temporary failure a
few times. A mail that cannot be sent is un-counted in the database, so the person can simply
sign up again; a process that dies with mails queued loses only those (same remedy).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from ..delivery.signing import DkimSigner
from ..delivery.transports import Transport
from .confirmation import NotSent, send_confirmation

log = logging.getLogger("newsletter.service")


@dataclass(frozen=True)
class Outgoing:
    """One confirmation mail to send; composed by the worker (composing takes time, see above)."""

    recipient: str
    nonce: str
    compose: Callable[[], EmailMessage]


class ConfirmationMailer:
    """A bounded queue and `workers` threads sending confirmation mails through `transport`."""

    def __init__(
        self,
        transport: Transport,
        *,
        signer: DkimSigner | None = None,
        on_failure: Callable[[Outgoing], None] = lambda o: None,
        workers: int = 2,
        attempts: int = 3,
        retry_delay: float = 2.0,
        max_queued: int = 10_000,
    ):
        self.transport, self.signer, self.on_failure = transport, signer, on_failure
        self.attempts, self.retry_delay = attempts, retry_delay
        self.queue: queue.Queue[Outgoing] = queue.Queue(maxsize=max_queued)
        self.sent = 0
        self.failed = 0
        self._lock = threading.Lock()
        for i in range(workers):
            threading.Thread(target=self._work, name=f"confirm-mail-{i}", daemon=True).start()

    def submit(self, item: Outgoing) -> bool:
        """Queue a mail; False when the queue is full (the service is overloaded)."""
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            return False
        return True

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queued mail was handled (tests, and a clean shutdown)."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            try:
                self._send(item)
            except Exception:  # never let one mail end the worker
                log.exception("confirmation mail worker error")
                self.on_failure(item)
            finally:
                self.queue.task_done()

    def _send(self, item: Outgoing) -> None:
        message = item.compose()
        for attempt in range(1, self.attempts + 1):
            try:
                send_confirmation(self.transport, message, item.recipient, self.signer)
            except NotSent as e:
                log.warning("confirmation mail not sent (attempt %d of %d): %s", attempt, self.attempts, e)
                if e.permanent:
                    break
                if attempt < self.attempts:
                    time.sleep(self.retry_delay * attempt)
                continue
            with self._lock:
                self.sent += 1
            return
        with self._lock:
            self.failed += 1
        self.on_failure(item)
