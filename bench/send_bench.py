"""Delivery benchmark: personalized sends vs a raw smtplib baseline, and memory at scale.

Run:  .venv/bin/python -m bench.send_bench [--messages 10000] [--sink aiosmtpd|smtp-sink]

A sink in a separate process accepts and discards every message. For 1 and 4 connections it
sends N personalized messages of a sample-sized issue (~30 KB HTML) through the real sender
(ledger, tokens, per-recipient rendering) and, in the same run, N copies of one pre-built
message through bare smtplib over the same number of connections; it prints both rates and
their ratio (target ≥ 0.7). Then it measures the sender's peak RSS at 10,000 and 100,000
subscribers, each in a fresh process (target: ≤ 1.2× from 10k to 100k). Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "delivery"
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _aiosmtpd_sink(port: int) -> None:
    """Accept and discard (runs in its own process)."""
    import logging

    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 2.0.0 discarded"

    logging.disable(logging.CRITICAL)
    Controller(Discard(), hostname="127.0.0.1", port=port, decode_data=False).start()
    while True:
        time.sleep(3600)


@contextlib.contextmanager
def sink(kind: str) -> Iterator[int]:
    port = free_port()
    if kind == "smtp-sink":
        # Postfix's sink (C); -u because it refuses to run as root. 256 = listen backlog.
        cmd = ["smtp-sink", "-u", "nobody", "-c", f"127.0.0.1:{port}", "256"]
    else:
        cmd = [sys.executable, "-c", f"from bench.send_bench import _aiosmtpd_sink; _aiosmtpd_sink({port})"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
                s.recv(100)
                break
            time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait()


def sample_issue(root: Path) -> None:
    """A newsletter folder whose built issue is sample-sized: the fixture email padded to ~30 KB."""
    (root / "issues").mkdir(parents=True)
    shutil.copy(FIXTURES / "newsletter.toml", root / "newsletter.toml")
    shutil.copy(FIXTURES / "issues" / "2025-11-20-sample-issue.md", root / "issues")
    built = root / "public" / "issues" / "sample-issue"
    shutil.copytree(FIXTURES / "built" / "sample-issue", built)
    html = (built / "email.html").read_text(encoding="utf-8")
    text = (built / "email.txt").read_text(encoding="utf-8")
    paragraphs = re.findall(r"<p [^>]*>.*?</p>", html, re.S)
    body = "\n".join(paragraphs)
    extra, extra_text = [], []
    while len(html) + sum(map(len, extra)) < 30_000:
        extra.append(body)
        extra_text.append(re.sub(r"<[^>]+>", "", body))
    html = html.replace("</td></tr><tr>", "\n".join(extra) + "</td></tr><tr>", 1)
    text = text.replace("\n--\n", "\n" + "\n\n".join(extra_text) + "\n--\n", 1)
    (built / "email.html").write_text(html, encoding="utf-8")
    (built / "email.txt").write_text(text, encoding="utf-8")


def populate(root: Path, n: int, url: str | None = None) -> None:
    """n subscribers, inserted directly (the import path is not what is measured here), into the
    state at `url` (default: the SQLite file of the newsletter in `root`)."""
    from sqlalchemy import text

    from newsletter.store import now, open_store, transaction

    store = open_store(url or root / "state" / "newsletter.db")
    t = now()
    insert = text(
        "INSERT INTO subscribers (address, address_key, name, language, status, source, created, changed)"
        " VALUES (:a, :a, :name, '', 'active', 'bench', :t, :t)"
    )
    with store.connect() as db, transaction(db):
        for start in range(0, n, 10_000):
            rows = [{"a": f"reader{i:06d}@example.org", "name": f"Leser Nr. {i}", "t": t}
                    for i in range(start, min(n, start + 10_000))]  # fmt: skip
            db.execute(insert, rows)


def run_sender(root: Path, port: int, connections: int) -> tuple[int, float]:
    """The real sender; returns (sent, seconds)."""
    from newsletter.config import load_config
    from newsletter.delivery.send import SendOptions, built_email, find_issue, send_issue
    from newsletter.delivery.transports import SmtpSettings, SmtpTransport

    config = load_config(root / "newsletter.toml")
    issue = find_issue(config, "sample-issue")
    html, text = built_email(root / "public", issue)
    transport = SmtpTransport(SmtpSettings("127.0.0.1", port, implicit_tls=False))
    t0 = time.perf_counter()
    report = send_issue(
        config, issue, html=html, text=text, secret=SECRET, transport=transport,
        options=SendOptions(connections=connections),
    )  # fmt: skip
    return report.sent, time.perf_counter() - t0


def run_baseline(root: Path, port: int, connections: int, n: int) -> float:
    """Bare smtplib: the same pre-built bytes n times over `connections` connections; seconds."""
    from newsletter.config import load_config
    from newsletter.delivery.send import built_email, find_issue
    from newsletter.outputs.message import envelope_for
    from newsletter.outputs.mime import MessageTemplate

    config = load_config(root / "newsletter.toml")
    issue = find_issue(config, "sample-issue")
    html, text = built_email(root / "public", issue)
    data = MessageTemplate(envelope_for(config, issue), html=html, text=text).render(
        "reader000000@example.org", "Leser Nr. 0", "https://news.example.org/unsubscribe/x"
    )
    counts = [n // connections + (1 if i < n % connections else 0) for i in range(connections)]

    def worker(k: int) -> None:
        smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="localhost")
        for i in range(k):
            smtp.sendmail("newsletter@example.org", [f"reader{i:06d}@example.org"], data)
        smtp.quit()

    threads = [threading.Thread(target=worker, args=(k,)) for k in counts]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def memory_child(root: str, port: int) -> None:
    """In a fresh process: send to everyone in `root`'s database, print peak RSS (KiB) as JSON."""
    sent, seconds = run_sender(Path(root), port, 4)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"sent": sent, "seconds": seconds, "peak_rss_kib": peak}))


def measure_memory(port: int, n: int, tmp: Path) -> dict[str, float]:
    root = tmp / f"mem-{n}"
    sample_issue(root)
    populate(root, n)
    code = f"from bench.send_bench import memory_child; memory_child({str(root)!r}, {port})"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "NEWSLETTER_SECRET": SECRET},
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--sink", choices=("aiosmtpd", "smtp-sink"), default="aiosmtpd")
    ap.add_argument("--memory", type=int, nargs="*", default=[10_000, 100_000], help="subscriber counts")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="send-bench-"))
    try:
        with sink(args.sink) as port:
            sample_issue(tmp / "size")
            size = len((tmp / "size" / "public" / "issues" / "sample-issue" / "email.html").read_bytes())
            print(f"sink: {args.sink}; issue email.html {size / 1000:.1f} KB; {args.messages} messages; "
                  f"{os.cpu_count()} CPUs")  # fmt: skip
            for connections in (1, 4):
                root = tmp / f"rate-{connections}"
                sample_issue(root)
                populate(root, args.messages)
                base = run_baseline(root, port, connections, args.messages)
                sent, ours = run_sender(root, port, connections)
                assert sent == args.messages, sent
                r_base, r_ours = args.messages / base, sent / ours
                print(f"{connections} connection(s): newsletter send {r_ours:7.0f} msg/s, raw smtplib "
                      f"{r_base:7.0f} msg/s, ratio {r_ours / r_base:.2f}")  # fmt: skip
            peaks = {}
            for n in args.memory:
                m = measure_memory(port, n, tmp)
                peaks[n] = m["peak_rss_kib"]
                print(f"{n:>7} subscribers: peak RSS {m['peak_rss_kib'] / 1024:6.1f} MiB "
                      f"({m['sent']:.0f} sent, {m['sent'] / m['seconds']:.0f} msg/s)")  # fmt: skip
            if len(peaks) == 2:
                small, large = sorted(peaks)
                print(f"peak RSS {large} / {small}: {peaks[large] / peaks[small]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("NEWSLETTER_SECRET", SECRET)
    main()
