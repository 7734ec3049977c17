"""Real SMTP servers for the delivery tests: aiosmtpd in a separate process on 127.0.0.1.

`StoreHandler` keeps every accepted message as a file; with a `FaultPlan` it also misbehaves,
deterministically: 451 to ~10% of transactions (on RCPT or at the end of DATA), 550 to ~1% of
recipients (always the same ones), and a dropped connection instead of a reply every N-th DATA
(that message is not kept, so the sender must retry it).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import free_port as free_port  # where the delivery tests import it from


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class FaultPlan:
    seed: int = 1
    temporary: float = 0.10
    permanent: float = 0.01
    drop_every: int = 200

    def refuses(self, rcpt: str) -> bool:
        """Recipients that get 550 on every attempt."""
        return _fraction(self.seed, "perm", rcpt.lower()) < self.permanent

    def defers(self, rcpt: str, attempt: int) -> str | None:
        """'rcpt' or 'data' when this attempt gets a 451 at that stage."""
        x = _fraction(self.seed, "temp", rcpt.lower(), attempt)
        if x < self.temporary / 2:
            return "rcpt"
        if x < self.temporary:
            return "data"
        return None


class StoreHandler:
    def __init__(self, store: Path | None, faults: FaultPlan | None = None):
        self.store, self.faults = store, faults
        self.attempts: dict[str, int] = {}
        self.data_count = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.faults:
            n = self.attempts[address] = self.attempts.get(address, 0) + 1
            if self.faults.refuses(address):
                return "550 5.1.1 no such mailbox here"
            if self.faults.defers(address, n) == "rcpt":
                return "451 4.3.0 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.faults:
            self.data_count += 1
            if self.faults.drop_every and self.data_count % self.faults.drop_every == 0:
                server.transport.close()  # no reply: the sender cannot know; it must retry
                return "421 closing"
            rcpt = envelope.rcpt_tos[0]
            if self.faults.defers(rcpt, self.attempts.get(rcpt, 0)) == "data":
                return "451 4.7.1 temporarily deferred"
        if self.store is not None:
            name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
            tmp = self.store / "tmp" / name
            tmp.write_bytes(envelope.original_content or envelope.content)
            os.replace(tmp, self.store / "new" / name)
            with open(self.store / "envelopes.log", "a", encoding="utf-8") as log:  # MAIL FROM, RCPT TO
                log.write(f"{envelope.mail_from} {' '.join(envelope.rcpt_tos)}\n")
        return "250 2.0.0 OK queued"


class PipeliningHandler(StoreHandler):
    """The same server, offering PIPELINING (RFC 2920). aiosmtpd reads commands one by one from
    its stream, so commands that arrive together are answered in order, as the RFC asks."""

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


def _serve(port: int, store: str | None, faults: FaultPlan | None, pipelining: bool) -> None:
    from aiosmtpd.controller import Controller

    logging.disable(logging.CRITICAL)
    handler = (PipeliningHandler if pipelining else StoreHandler)(Path(store) if store else None, faults)
    controller = Controller(handler, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    while True:
        time.sleep(3600)


def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.recv(100)  # the 220 greeting: the server is really up
            return
        time.sleep(0.05)
    raise RuntimeError(f"the test SMTP server on port {port} did not start")


@contextlib.contextmanager
def smtp_server(
    store: Path | None, faults: FaultPlan | None = None, *, pipelining: bool = False
) -> Iterator[int]:
    """Run an aiosmtpd server in its own process; yields its port. Messages go to `store`/new/."""
    if store is not None:
        for sub in ("tmp", "new", "cur"):
            (store / sub).mkdir(parents=True, exist_ok=True)
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(
        target=_serve, args=(port, str(store) if store else None, faults, pipelining), daemon=True
    )
    proc.start()
    try:
        _wait_for_port(port)
        yield port
    finally:
        proc.kill()
        proc.join(5)


def stored_messages(store: Path) -> list[Path]:
    return sorted((store / "new").iterdir())
