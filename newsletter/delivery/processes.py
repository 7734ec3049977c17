"""SMTP sessions in child processes, so a send uses more than one core.

The send run's threads share one interpreter: with four connections, the SMTP client's work
(smtplib's reads and writes, TLS) and the run's own (rendering, the ledger) take turns on one
core. `SessionProcesses` forks one child per connection before any worker thread starts; a
worker's session is then a pipe to its child, which holds the real SMTP connection and sends
what it is given. Everything else stays in the sending process: the ledger, rendering, retries.

Exactly once is kept as with threads. A child sends only the message it was handed, after the
worker marked it `sending`, and answers before it gets the next one, so it can never run ahead
of the ledger. It dies with the process that forked it (PR_SET_PDEATHSIG: Linux only, hence SMTP
sessions in processes on Linux only), so a SIGKILL of `newsletter send` leaves
at most the messages in hand `sending`, as it does with threads. A child that dies in the middle
of a message reports that message `unknown` (maybe delivered), never resent without the
operator's word.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from ..errors import NewsletterError
from .transports import ConnectFailure, DeliveryFailure, Session, Transport

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this process when the process that forked it ends."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _serve(transport: Transport, conn: Connection, parent: int) -> None:
    """The child: open, send and close sessions of `transport` as the pipe asks, one at a time."""
    _die_with_parent()
    if os.getppid() != parent:  # the parent ended before the death signal was set up
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the run in the parent, not here
    session: Session | None = None
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        op = request[0]
        if op == "exit":
            break
        try:
            if op == "open":
                session = transport.open()
                reply: tuple[str, Any] = ("ok", None)
            elif op == "send" and session is not None:
                reply = ("ok", session.send(*request[1:]))
            elif op == "close" and session is not None:
                session.close()
                session = None
                reply = ("ok", None)
            else:
                reply = ("ok", None)
        except (DeliveryFailure, ConnectFailure, NewsletterError) as e:
            reply = ("raise", e)
        except Exception as e:  # a bug: the parent stops the run with it
            reply = ("bug", f"{type(e).__name__}: {e}")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            break
    if session is not None:
        session.close()


class _Child:
    """One child process and the parent's end of its pipe."""

    def __init__(self, transport: Transport) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child_end = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(transport, child_end, os.getpid()), name="send-session", daemon=True
        )
        self.process.start()
        child_end.close()
        self.alive = True

    def call(self, *request: Any) -> Any:
        """Ask the child; its answer, or its exception raised here."""
        if not self.alive:
            raise ConnectFailure("the sending process has ended")
        try:
            self.conn.send(request)
            status, value = self.conn.recv()
        except (EOFError, OSError) as e:
            self.alive = False
            if request[0] == "send":  # handed over: it may have been delivered before the end
                raise DeliveryFailure(
                    f"connection lost: the sending process ended ({e or type(e).__name__})",
                    connection_lost=True,
                    ambiguous=True,
                ) from None
            raise ConnectFailure("the sending process has ended") from None
        if status == "raise":
            raise value
        if status == "bug":
            raise RuntimeError(f"in the sending process: {value}")
        return value

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.alive:
                self.conn.send(("exit",))
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class _ChildSession:
    """A worker's session: the SMTP connection its child holds."""

    def __init__(self, owner: SessionProcesses, child: _Child) -> None:
        self.owner, self.child = owner, child

    def send(self, sender: str, recipient: str, message: bytes) -> str:
        return str(self.child.call("send", sender, recipient, message))

    def close(self) -> None:
        try:
            self.child.call("close")
        except (DeliveryFailure, ConnectFailure, NewsletterError):
            pass
        finally:
            self.owner.idle.put(self.child)


class SessionProcesses:
    """`transport`, with each open session held by a child process (one per connection).

    Create it before any thread starts (the children are forked); `close()` ends them. Each
    worker holds at most one session at a time, so `processes` = the run's connections.
    """

    def __init__(self, transport: Transport, processes: int) -> None:
        self.transport = transport
        self.name = transport.name
        self.children = [_Child(transport) for _ in range(processes)]
        self.idle: queue.SimpleQueue[_Child] = queue.SimpleQueue()
        for child in self.children:
            self.idle.put(child)

    def describe(self) -> str:
        return self.transport.describe()

    def open(self) -> Session:
        child = self.idle.get()
        try:
            child.call("open")
        except BaseException:
            self.idle.put(child)
            raise
        return _ChildSession(self, child)

    def close(self) -> None:
        for child in self.children:
            child.stop()


def use_processes(transport: Transport) -> bool:
    """Whether a run should send through child processes: SMTP sessions, on Linux (fork, and the
    death signal that ends a child with its parent)."""
    from .transports import SmtpTransport

    return isinstance(transport, SmtpTransport) and sys.platform.startswith("linux")
