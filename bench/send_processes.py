"""Sending as whole processes: `newsletter send` against four raw smtplib processes.

Run:  .venv/bin/python -m bench.send_processes [--messages 20000] [--rounds 1]

Both sides are timed from their start to the exit of their last process, Python's start and
imports included, to Postfix's `smtp-sink` on 127.0.0.1 (aiosmtpd when Postfix is not
installed). The raw side is four `python` processes, each one smtplib connection sending its
quarter of N copies of one pre-built personalized message of the sample-sized issue (no
pipelining, no ledger, nothing rendered). Our side is `newsletter send ISSUE --connections 4`
to N subscribers in a fresh SQLite ledger: every message rendered for its recipient (tokens,
unsubscribe headers), every outcome committed. Rounds alternate. Prints the message size, both
rates and their ratio (goal: ≥ 0.7). Figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .send_bench import ROOT, SECRET, populate, prebuilt_message, sample_issue, sink
from .smtp_ceiling import available

PROCESSES = 4
NEWSLETTER = Path(sys.executable).parent / "newsletter"


def raw_child(port: int, message: str, count: int, first: int) -> None:
    """One raw client process: `count` copies of the message over one smtplib connection."""
    data = Path(message).read_bytes()
    smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="localhost")
    for i in range(first, first + count):
        smtp.sendmail("newsletter@example.org", [f"reader{i:06d}@example.org"], data)
    smtp.quit()


def raw_run(port: int, message: Path, n: int) -> float:
    """Seconds for four raw client processes to send n messages between them."""
    counts = [n // PROCESSES + (1 if i < n % PROCESSES else 0) for i in range(PROCESSES)]
    firsts = [sum(counts[:i]) for i in range(PROCESSES)]
    t0 = time.perf_counter()
    code = "from bench.send_processes import raw_child; raw_child({}, {!r}, {}, {})"
    procs = [
        subprocess.Popen([sys.executable, "-c", code.format(port, str(message), k, first)], cwd=ROOT)
        for k, first in zip(counts, firsts, strict=True)
    ]
    if any(p.wait() for p in procs):
        raise SystemExit("a raw smtplib process failed")
    return time.perf_counter() - t0


def ours_run(tmp: Path, port: int, n: int) -> float:
    """Seconds for `newsletter send` (one process, four connections) to n fresh subscribers."""
    root = Path(tempfile.mkdtemp(dir=tmp))
    sample_issue(root)
    populate(root, n)
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET, "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    env.pop("NEWSLETTER_DATABASE_URL", None)
    cmd = [str(NEWSLETTER), "send", "sample-issue", "--connections", str(PROCESSES)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=True).stdout
    seconds = time.perf_counter() - t0
    m = re.search(r"sent (\d+)", out)
    if not m or int(m[1]) != n:
        raise SystemExit(f"newsletter send did not send {n} messages: {out.strip()[-300:]}")
    shutil.rmtree(root, ignore_errors=True)
    return seconds


def main(argv: list[str] | None = None) -> tuple[float, float, int]:
    """(our msg/s, raw msg/s, message bytes), medians over the rounds."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="send-processes-"))
    try:
        kind = "smtp-sink" if available() else "aiosmtpd"
        with sink(kind) as port:
            sample_issue(tmp / "size")
            message = tmp / "message.eml"
            message.write_bytes(prebuilt_message(tmp / "size"))
            size = message.stat().st_size
            print(f"sink: {kind}; message {size / 1000:.1f} KB; {args.messages} messages; "
                  f"{os.cpu_count()} CPUs; load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
            ours, raw = [], []
            for r in range(args.rounds):
                raw.append(args.messages / raw_run(port, message, args.messages))
                ours.append(args.messages / ours_run(tmp, port, args.messages))
                ratio = ours[-1] / raw[-1]
                print(f"round {r + 1}: newsletter send {ours[-1]:.0f} msg/s, {PROCESSES} raw smtplib "
                      f"processes {raw[-1]:.0f} msg/s, ratio {ratio:.2f}", flush=True)  # fmt: skip
            o, w = statistics.median(ours), statistics.median(raw)
            print(f"median: newsletter send {o:.0f} msg/s, {PROCESSES} raw smtplib processes {w:.0f} msg/s, "
                  f"ratio {o / w:.2f}")  # fmt: skip
            return o, w, size
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
