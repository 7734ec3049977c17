"""Store benchmark: sending with the ledger on SQLite and on PostgreSQL (one and three sender
processes), a million-subscriber CSV import (time and peak RSS), and the cost of SQLAlchemy Core
in the send loop's ledger writes against the bare sqlite3 module.

Run:  .venv/bin/python -m bench.store_bench [--messages 20000] [--import-rows 1000000] [--quick]

Prints Markdown for BENCHMARKS.md. The SMTP sink is Postfix's smtp-sink when installed (else
aiosmtpd); PostgreSQL is the server of bench/postgres.py. Figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .postgres import PostgresUnavailable, fresh_database, postgres_server
from .send_bench import SECRET, populate, sample_issue, sink

CONNECTIONS = 4


def send_run(tmp: Path, port: int, n: int, senders: int, url: str | None) -> tuple[int, float]:
    """`senders` concurrent `newsletter send` processes to n subscribers; (sent, wall seconds)."""
    root = Path(tempfile.mkdtemp(dir=tmp))
    sample_issue(root)
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET, "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    env.pop("NEWSLETTER_DATABASE_URL", None)
    if url:
        from newsletter.store import open_store, upgrade

        upgrade(open_store(url, check=False))
        env["NEWSLETTER_DATABASE_URL"] = url
    populate(root, n, url)
    cmd = [
        sys.executable,
        "-m",
        "newsletter",
        "send",
        "sample-issue",
        "--connections",
        str(CONNECTIONS),
    ]
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, text=True) for _ in range(senders)
    ]
    outs = [p.communicate()[0] for p in procs]
    seconds = time.perf_counter() - t0
    sent = sum(int(m.group(1)) for o in outs if (m := re.search(r"sent (\d+)", o)))
    return sent, seconds


def import_run(tmp: Path, rows: int, url: str | None) -> tuple[float, float]:
    """`newsletter subscribers import` of a rows-long CSV in a fresh process; (seconds, peak RSS MiB)."""
    root = Path(tempfile.mkdtemp(dir=tmp))
    sample_issue(root)
    csv = root / "members.csv"
    with open(csv, "w", encoding="utf-8") as f:
        f.write("email,name,language\n")
        for i in range(rows):
            f.write(f"member{i:07d}@example.org,Leserin Nr. {i},de\n")
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_DATABASE_URL"}
    if url:
        from newsletter.store import open_store, upgrade

        upgrade(open_store(url, check=False))
        env["NEWSLETTER_DATABASE_URL"] = url
    cmd = [sys.executable, "-m", "newsletter", "subscribers", "import", str(csv)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"the import of {rows} rows failed (status {status})")
    return seconds, usage.ru_maxrss / 1024


def ledger_writes(tmp: Path, n: int) -> tuple[float, float]:
    """n `record()` commits (outcome + next row `sending`) through SendLedger (SQLAlchemy Core)
    and the same statements through bare sqlite3; seconds each."""
    from newsletter.delivery.ledger import Outcome, SendLedger

    root = Path(tempfile.mkdtemp(dir=tmp))
    db_path = root / "state" / "newsletter.db"
    populate(root, n + 1)
    ledger = SendLedger(db_path)
    ledger.enqueue("bench", "bench", "de", "de")
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        ledger.record(
            Outcome(i, "sent", "250 2.0.0 Ok: queued as X"), "bench", next_sending=i + 1, claimant=""
        )
    core = time.perf_counter() - t0
    ledger.close()
    raw = sqlite3.connect(db_path, isolation_level=None)
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("UPDATE deliveries SET status = 'queued'")
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(
            "UPDATE deliveries SET status = ?, failure = ?, reply = ?, message_id = ?,"
            " attempts = attempts + 1, changed = ? WHERE issue_id = ? AND subscriber_id = ?",
            ("sent", None, "250 2.0.0 Ok: queued as X", "X", "2026-01-01T00:00:00+00:00", "bench", i),
        )
        raw.execute(
            "UPDATE deliveries SET status = 'sending', changed = ? WHERE issue_id = ? AND subscriber_id = ?",
            ("2026-01-01T00:00:00+00:00", "bench", i + 1),
        )
        raw.execute("COMMIT")
    bare = time.perf_counter() - t0
    raw.close()
    return core, bare


def main(argv: list[str] | None = None) -> list[str]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--import-rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="2,000 messages, 20,000 and 100,000 rows")
    args = ap.parse_args(argv)
    messages = 2_000 if args.quick else args.messages
    big = 100_000 if args.quick else args.import_rows
    small = big // 10
    kind = "smtp-sink" if shutil.which("smtp-sink") else "aiosmtpd"
    lines: list[str] = []
    add = lines.append
    with tempfile.TemporaryDirectory() as tmp_name, sink(kind) as port:
        tmp = Path(tmp_name)
        try:
            server = postgres_server()
            pg_server = server.__enter__()
        except PostgresUnavailable as e:
            server, pg_server = None, None
            add(f"PostgreSQL figures missing: {e}.")
        sends: list[tuple[str, int, int, float]] = []
        sent, s = send_run(tmp, port, messages, 1, None)
        sends.append(("SQLite", 1, sent, s))
        if pg_server:
            for senders in (1, 3):
                with fresh_database(pg_server) as url:
                    sent, s = send_run(tmp, port, messages, senders, url)
                sends.append(("PostgreSQL", senders, sent, s))
        base = sends[0][2] / sends[0][3]
        add(
            f"Sending {messages:,} personalized messages (the sample-sized issue) to {kind} on 127.0.0.1, "
            f"{CONNECTIONS} connections per sender process, wall clock from start to the last sender's exit; "
            "several senders split the issue by row claims:"
        )
        add("")
        add("| state | sender processes | sent | seconds | msg/s | ÷ SQLite, 1 sender |")
        add("|---|---:|---:|---:|---:|---:|")
        for backend, senders, sent, s in sends:
            add(f"| {backend} | {senders} | {sent:,} | {s:.1f} | {sent / s:.0f} | {sent / s / base:.2f} |")
        add("")
        imports: list[tuple[str, int, float, float]] = []
        for rows in (small, big):
            imports.append(("SQLite", rows, *import_run(tmp, rows, None)))
        if pg_server:
            with fresh_database(pg_server) as url:
                imports.append(("PostgreSQL", big, *import_run(tmp, big, url)))
        add(
            "`newsletter subscribers import members.csv` in a fresh process "
            "(the CSV is streamed line by line):"
        )
        add("")
        add("| state | rows | seconds | rows/s | peak RSS MiB |")
        add("|---|---:|---:|---:|---:|")
        for backend, rows, s, rss in imports:
            add(f"| {backend} | {rows:,} | {s:.1f} | {rows / s:,.0f} | {rss:.0f} |")
        add("")
        add(
            f"Peak RSS from {small:,} to {big:,} rows (SQLite): **{imports[1][3] / imports[0][3]:.2f}×** "
            "(flat: memory does not grow with the file)."
        )
        add("")
        n = 2_000 if args.quick else 20_000
        core, bare = ledger_writes(tmp, n)
        add(
            f"The send loop's ledger writes, {n:,} commits of one outcome + the next row `sending` "
            "on SQLite: "
            f"SQLAlchemy Core (`SendLedger.record`) {n / core:,.0f}/s, the same statements through bare "
            f"sqlite3 {n / bare:,.0f}/s: Core costs **{core / n * 1e6 - bare / n * 1e6:.0f} µs** a message "
            f"({core / bare:.2f}×), against ~{1e6 / (sends[0][2] / sends[0][3]):.0f} µs a message for the "
            "whole send: no ORM, and not worth a second code path."
        )
        if server is not None:
            server.__exit__(None, None, None)
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
