"""Processes forked from the build, each running one function and sending its result back.

Plain `os.fork` and two pipes, the messages pickled behind their length. multiprocessing's
`Process` does the same, but importing and starting it costs about 5 ms, and an edit build forks
its rendering process before it knows what to render: those milliseconds are on its path. (The
pool of a full build stays multiprocessing's: there they are nothing.)

A child never returns into the caller's code: whatever its function does, it ends with
`os._exit`, so no `finally` or `atexit` of the parent runs twice and no buffer is written twice.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

_LENGTH = struct.Struct("<Q")


def can_fork() -> bool:
    """Whether a child may be forked from this process: `fork` exists (not on Windows) and no
    other thread runs (forking a threaded process can copy a lock in its locked state)."""
    return hasattr(os, "fork") and threading.active_count() == 1


@dataclass
class Child:
    """A forked process: `inbox` is where it is sent its work (-1 once closed, or none asked
    for), `results` where its result comes back."""

    pid: int
    inbox: int
    results: int

    def send(self, value: object) -> None:
        """`value`, pickled, to the child; then its inbox is closed (it gets one message)."""
        try:
            send(self.inbox, value)
        finally:
            self.close_inbox()

    def close_inbox(self) -> None:
        if self.inbox >= 0:
            os.close(self.inbox)
            self.inbox = -1

    def done(self) -> bool:
        """Whether its result can be read now without waiting (or it ended without one)."""
        if self.results < 0:
            return True
        poll = select.poll()  # not select.select: that refuses a descriptor above 1023
        poll.register(self.results, select.POLLIN)
        return bool(poll.poll(0))

    def result(self) -> object:
        """What the child sent back; EOFError when it ended without (it died, or failed)."""
        return receive(self.results)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def join(self) -> None:
        """Wait for it to end, and close what is left of its pipes."""
        self.close_inbox()
        if self.results >= 0:
            os.close(self.results)
            self.results = -1
        if self.pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0


def fork(target: Callable[[int, int], None], *, inbox: bool = False) -> Child:
    """Fork a child that runs `target(inbox, results)`: `inbox` the read end of the pipe its
    work arrives on (-1 without one), `results` the write end its result goes back on. The child
    holds no copy of the parent's ends: when the parent ends, its inbox gives EOF."""
    work_r, work_w = os.pipe() if inbox else (-1, -1)
    results_r, results_w = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written by both
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        pid = os.fork()
    except OSError:  # no process can be made now (a limit reached): nothing is left open
        for fd in (work_r, work_w, results_r, results_w):
            if fd >= 0:
                os.close(fd)
        raise
    if pid == 0:  # the child
        code = 1
        try:
            os.close(results_r)
            if work_w >= 0:
                os.close(work_w)
            target(work_r, results_w)
            code = 0
        finally:
            os._exit(code)
    os.close(results_w)
    if work_r >= 0:
        os.close(work_r)
    return Child(pid, work_w, results_r)


def send(fd: int, value: object) -> None:
    """`value` pickled behind its length, written whole to `fd`."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    _fit(fd, _LENGTH.size + len(data))
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


#: What a pipe holds unless told otherwise (Linux), and the most it is made to hold.
_PIPE_SIZE, _PIPE_MAX = 1 << 16, 1 << 20


def _fit(fd: int, size: int) -> None:
    """Make the pipe `fd` writes to hold `size` bytes where the system allows it (Linux lets
    anyone grow a pipe to 1 MiB), so the writer does not wait for the reader to take a message
    it reads later: a build sends the process made ready for an edit its work while that
    process is still importing, and Babel's answers alone grow with the issues (48 KB for
    1,000). Where it does not, the writer waits, as before."""
    if size <= _PIPE_SIZE:
        return
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(size, _PIPE_MAX))
    except (ImportError, AttributeError, OSError):  # not Linux, or not allowed: the writer waits
        pass


def receive(fd: int) -> object:
    """One value `send` wrote to `fd`; EOFError when the writer closed it first."""
    (length,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size))
    return pickle.loads(_read_exactly(fd, length))


def _read_exactly(fd: int, size: int) -> bytes:
    parts = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            raise EOFError
        parts.append(part)
        size -= len(part)
    return b"".join(parts)
