"""The SMTP ceiling of this machine: Postfix's smtp-source sending to smtp-sink on loopback.

    python -m bench.smtp_ceiling [--bytes 48000] [--messages 5000] [--sessions 1 4]

Independent of our delivery code: it is what the fastest C client and server manage here
with the same message size and number of connections. Needs Debian's postfix package
(/usr/sbin/smtp-source, /usr/sbin/smtp-sink); smtp-sink refuses to run as root without -u.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"


@dataclass
class Ceiling:
    sessions: int
    messages: int
    message_bytes: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def available() -> bool:
    return Path(SINK).exists() and Path(SOURCE).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"smtp-sink did not listen on 127.0.0.1:{port}")


def measure(message_bytes: int, messages: int, sessions: int) -> Ceiling:
    """Send `messages` of `message_bytes` over `sessions` parallel connections; time it."""
    port = _free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen(
        [SINK, *user, f"127.0.0.1:{port}", "256"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(port)
        start = time.perf_counter()
        subprocess.run(
            [SOURCE, "-s", str(sessions), "-m", str(messages), "-l", str(message_bytes), f"127.0.0.1:{port}"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
        seconds = time.perf_counter() - start
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    return Ceiling(sessions, messages, message_bytes, seconds)


def main(argv: list[str] | None = None) -> list[Ceiling]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--bytes", type=int, default=48_000)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 4])
    args = ap.parse_args(argv)
    out = [measure(args.bytes, args.messages, s) for s in args.sessions]
    for c in out:
        print(f"{c.sessions} session(s): {c.rate:.0f} msg/s ({c.messages} × {c.message_bytes} bytes)")
    return out


if __name__ == "__main__":
    main()
