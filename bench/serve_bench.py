"""Subscription service benchmark: concurrent sign-ups against the real server over loopback.

Run:  .venv/bin/python -m bench.serve_bench [--signups 500] [--concurrency 500]
          [--server serve|gunicorn] [--workers 4] [--database sqlite|postgresql]

Starts the service in its own process on 127.0.0.1 with a throwaway newsletter (outbox transport,
sign-up rate limit raised for the run): `newsletter serve` (threaded werkzeug server), or the
production gunicorn command of README "Deploying" with `--workers` processes; the state in the
SQLite file, or in a fresh database on a PostgreSQL server (bench/postgres.py). Then fires
`--signups` JSON sign-ups from this process, `--concurrency` at a time (500 at once by default,
released together by a barrier), one fresh connection each like distinct readers. Checks that
every answer was 202, that the database holds exactly one pending row per address and that
exactly one confirmation mail per address reached the outbox; prints requests per second.
Figures, not a test (tests/service/test_load.py runs the same with fewer requests).
"""

from __future__ import annotations

import argparse
import contextlib
import email
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

from sqlalchemy import text

from newsletter.store import open_store, upgrade
from newsletter.store.database import sqlite_url

from .measure import free_port, stop
from .postgres import fresh_database, postgres_server

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-0123456789"

CONFIG = """
[site]
title = "Bench"
base_url = "https://news.example.org/"
language = "de"
feed_id = "tag:example.org,2025:bench"
unsubscribe_url = "https://subscribe.example.org/unsubscribe/{{token}}"

[editions.de]
[editions.en]

[delivery]
database = "state/newsletter.db"
outbox = "state/outbox"

[service]
public_url = "http://127.0.0.1:{port}/"
signups_per_minute = 1000000
requests_per_minute = 1000000
"""


def gunicorn_command(bind: str, workers: int = 4, threads: int = 8) -> list[str]:
    """The production command (README "Deploying", deploy/): the service under gunicorn."""
    return ["gunicorn", "--config", "python:newsletter.service.gunicorn_conf", "--workers", str(workers),
            "--threads", str(threads), "--bind", bind, "newsletter.service.wsgi:app"]  # fmt: skip


@contextlib.contextmanager
def running_service(
    config: Path, port: int, env: dict[str, str], log: Path, *, gunicorn_workers: int = 0
) -> Iterator[str]:
    """Start `newsletter serve` (or, with `gunicorn_workers`, the production gunicorn command) on
    127.0.0.1:`port` in its own process; yields its base URL; SIGTERM after."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT), "NEWSLETTER_CONFIG": str(config)}
    with open(log, "wb") as out:
        if gunicorn_workers:
            gunicorn = gunicorn_command(f"127.0.0.1:{port}", workers=gunicorn_workers)
            cmd = [sys.executable, "-m", *gunicorn]
        else:
            cmd = [sys.executable, "-m", "newsletter", "serve", "--config", str(config), "--host",
                   "127.0.0.1", "--port", str(port)]  # fmt: skip
        proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError), urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the service did not start: {log.read_text(errors='replace')}")
                time.sleep(0.05)
            yield base
        finally:
            stop(proc, 25)


def make_newsletter(folder: Path, port: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "newsletter.toml"
    config.write_text(CONFIG.format(port=port), encoding="utf-8")
    return config


@dataclass
class LoadResult:
    requests: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def address(i: int) -> str:
    return f"reader{i:05d}@example.org"


def sign_up_load(base: str, n: int, concurrency: int) -> LoadResult:
    """`n` JSON sign-ups, `concurrency` in flight at once (a barrier releases each wave together)."""
    host, port = base.removeprefix("http://").split(":")
    result = LoadResult(n, 0.0)
    lock = threading.Lock()
    todo = iter(range(n))
    barrier = threading.Barrier(min(concurrency, n))

    def one(i: int) -> None:
        body = json.dumps({"email": address(i), "language": "de" if i % 2 else "en"})
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            conn.request("POST", "/subscribe", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            conn.close()
            with lock:
                result.statuses[response.status] += 1
        except Exception as e:
            with lock:
                result.errors.append(f"{address(i)}: {type(e).__name__}: {e}")

    def worker() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            one(i)

    threads = [threading.Thread(target=worker) for _ in range(min(concurrency, n))]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - start
    return result


def stored_state(
    folder: Path, n: int, database_url: str = "", timeout: float = 60
) -> tuple[Counter[str], Counter[str]]:
    """(pending rows per address, confirmation mails per address), once `n` mails arrived or time is up."""
    new = folder / "state" / "outbox" / "new"
    deadline = time.monotonic() + timeout
    while (not new.is_dir() or len(list(new.iterdir())) < n) and time.monotonic() < deadline:
        time.sleep(0.05)
    with open_store(database_url or sqlite_url(folder / "state" / "newsletter.db")).connect() as conn:
        rows = Counter(a for (a,) in conn.execute(text("SELECT address FROM pending_signups")))
    mails: Counter[str] = Counter()
    for p in new.iterdir() if new.is_dir() else []:
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        mails[str(msg["To"])] += 1
    return rows, mails


def check(result: LoadResult, rows: Counter[str], mails: Counter[str], n: int) -> list[str]:
    """Every way the run went wrong, as lines (empty: all good)."""
    problems = list(result.errors[:5])
    if result.statuses != Counter({202: n}):
        problems.append(f"answers: {dict(result.statuses)} (expected {n} × 202)")
    expected = {address(i) for i in range(n)}
    if set(rows) != expected or any(c != 1 for c in rows.values()):
        problems.append(f"pending rows: {sum(rows.values())} for {len(rows)} addresses (expected {n})")
    if set(mails) != expected or any(c != 1 for c in mails.values()):
        problems.append(
            f"confirmation mails: {sum(mails.values())} for {len(mails)} addresses (expected {n})"
        )
    return problems


def run(
    n: int, concurrency: int, folder: Path, *, gunicorn_workers: int = 0, database_url: str = ""
) -> tuple[LoadResult, list[str]]:
    """One load run; `database_url`: the state there (its schema created first), else state/."""
    port = free_port()
    config = make_newsletter(folder, port)
    env = {"NEWSLETTER_SECRET": SECRET}
    if database_url:
        env["NEWSLETTER_DATABASE_URL"] = database_url
        upgrade(open_store(database_url, check=False))
    log = folder / "serve.log"
    with running_service(config, port, env, log, gunicorn_workers=gunicorn_workers) as base:
        result = sign_up_load(base, n, concurrency)
        rows, mails = stored_state(folder, n, database_url)
    return result, check(result, rows, mails, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signups", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server", choices=["serve", "gunicorn"], default="serve")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    workers = args.workers if args.server == "gunicorn" else 0
    server = f"gunicorn, {workers} workers" if workers else "newsletter serve"
    print(f"{server}, {'PostgreSQL' if args.database == 'postgresql' else 'SQLite'}")
    rates = []
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(postgres_server()) if args.database == "postgresql" else ""
        for i in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as run_stack:
                url = run_stack.enter_context(fresh_database(postgres)) if postgres else ""
                folder = Path(tmp) / "news"
                result, problems = run(
                    args.signups, args.concurrency, folder, gunicorn_workers=workers, database_url=url
                )
            status = "ok" if not problems else "FAILED: " + "; ".join(problems)
            print(f"run {i + 1}: {result.requests} sign-ups, {args.concurrency} concurrent, "
                  f"{result.seconds:.2f}s, {result.per_second:.0f} req/s — {status}")  # fmt: skip
            if problems:
                sys.exit(1)
            rates.append(result.per_second)
    rates.sort()
    print(f"median {rates[len(rates) // 2]:.0f} req/s (best {rates[-1]:.0f}) on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
