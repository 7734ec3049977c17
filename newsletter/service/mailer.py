"""Sign-ups are recorded and their confirmation mails sent from a background queue, not from
the request.

Why: a request that records a sign-up and sends a mail takes longer than one that does not (an
already active address gets none, and nothing is written for it), and that difference would
tell a stranger who is subscribed. The request only validates and queues, the same work for
every address, and answers at once; a worker looks the address up, records the sign-up and
sends, retrying a temporary failure a few times. A mail that cannot be sent is un-counted in
the database, so the person can simply sign up again; a process that dies with sign-ups queued
loses only those (same remedy).
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
from .confirmation import NotSent, message_bytes, send_confirmation

log = logging.getLogger("newsletter.service")


@dataclass(frozen=True)
class Outgoing:
    """One confirmation mail to send; composed by the worker (composing takes time, see above)."""

    recipient: str
    nonce: str
    compose: Callable[[], EmailMessage]


#: A queued sign-up: run by a worker, it records the sign-up and says which mail is due, if any.
Job = Callable[[], Outgoing | None]


class ConfirmationMailer:
    """A bounded queue and `workers` threads handling sign-ups and sending their confirmation
    mails through `transport`."""

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
        self.queue: queue.Queue[Job] = queue.Queue(maxsize=max_queued)
        self.sent = 0
        self.failed = 0
        self._lock = threading.Lock()
        for i in range(workers):
            threading.Thread(target=self._work, name=f"confirm-mail-{i}", daemon=True).start()

    def submit(self, job: Job) -> bool:
        """Queue a sign-up; False when the queue is full (the service is overloaded)."""
        try:
            self.queue.put_nowait(job)
        except queue.Full:
            return False
        return True

    def sign(self, message: EmailMessage) -> bytes:
        """The message as it would be sent (serialized, DKIM-signed when configured)."""
        return message_bytes(message, self.signer)

    def full(self) -> bool:
        """True when no sign-up can be queued now (the service is overloaded)."""
        return self.queue.full()

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
            job = self.queue.get()
            item = None
            try:
                item = job()
                if item is not None:
                    self._send(item)
            except Exception:  # never let one sign-up end the worker
                log.exception("sign-up worker error")
                if item is not None:
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
