"""Does the time of a sign-up's answer tell whether the address is subscribed?

Run:  .venv/bin/python -m bench.signup_timing [--pairs 300]

Starts `newsletter serve` in its own process on 127.0.0.1 (as bench/serve_bench.py does) with
`--pairs` active subscribers, then sends sign-ups for them and for as many unknown addresses,
one at a time over loopback, in one shuffled sequence, so drift in the machine's load falls on
both alike. Prints the median answer time of each kind, their ratio, and how often the best
one-request guess ("slower than the threshold: unknown", the threshold and its direction chosen
with hindsight to favour the guesser) is right: 50% means the time tells nothing. Also the same
for the request that follows each sign-up (a worker records the sign-up and composes its mail
after the answer, and may compete with that next request).
Figures, not a test (tests/service/test_app.py checks that the request does the same work).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.serve_bench import SECRET, free_port, make_newsletter, running_service
from newsletter.delivery.subscribers import SubscriberList


def best_guess_accuracy(known: list[float], unknown: list[float]) -> float:
    """The share of requests classified right by the best rule "unknown if slower than t" (or
    its opposite), over every threshold t: the most a stranger could get from one request."""
    total = len(known) + len(unknown)
    best = 0.5
    for t in [float("-inf"), *known, *unknown]:
        right = sum(k <= t for k in known) + sum(u > t for u in unknown)
        best = max(best, right / total, 1 - right / total)
    return best


def measure(base: str, known: list[str], unknown: list[str], seed: int = 1) -> list[tuple[str, float]]:
    """(kind, seconds) of each sign-up, known and unknown addresses in one shuffled sequence."""
    host, port = base.removeprefix("http://").split(":")
    requests = [("known", a) for a in known] + [("unknown", a) for a in unknown]
    random.Random(seed).shuffle(requests)

    def sign_up(address: str) -> float:
        body = json.dumps({"email": address, "language": "de"})
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.connect()
        start = time.perf_counter()
        conn.request("POST", "/subscribe", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        conn.close()
        assert response.status == 202, response.status
        return elapsed

    return [(kind, sign_up(address)) for kind, address in requests]


def median_ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.2f} ms"


def run(pairs: int, folder: Path, seed: int = 1) -> list[str]:
    port = free_port()
    config = make_newsletter(folder, port)
    known = [f"known{i:05d}@example.org" for i in range(pairs)]
    unknown = [f"new{i:05d}@example.org" for i in range(pairs)]
    subs = SubscriberList(folder / "state" / "newsletter.db")
    try:
        for address in known:
            subs.add(address, language="de")
    finally:
        subs.close()
    with running_service(config, port, {"NEWSLETTER_SECRET": SECRET}, folder / "serve.log") as base:
        measure(
            base, [f"warm{i}@example.org" for i in range(20)], [f"warm{i}b@example.org" for i in range(20)]
        )
        results = measure(base, known, unknown, seed)
    known_t = [t for kind, t in results if kind == "known"]
    unknown_t = [t for kind, t in results if kind == "unknown"]
    # The request after a sign-up: slower if the worker handling that sign-up competes with it.
    in_a_row = list(itertools.pairwise(results))
    after_known = [t for (before, _), (_, t) in in_a_row if before == "known"]
    after_unknown = [t for (before, _), (_, t) in in_a_row if before == "unknown"]
    ratio = statistics.median(unknown_t) / statistics.median(known_t)
    return [
        f"{pairs} active and {pairs} unknown addresses, one at a time in random order: median answer "
        f"{median_ms(known_t)} for an active address, {median_ms(unknown_t)} for an unknown one "
        f"(ratio {ratio:.2f}); best one-request guess right "
        f"{best_guess_accuracy(known_t, unknown_t):.0%} of the time (50%: no information)",
        f"the request after an active address's sign-up: median {median_ms(after_known)}; after an "
        f"unknown one's (a worker records it and composes its mail meanwhile): "
        f"{median_ms(after_unknown)}; best guess right {best_guess_accuracy(after_known, after_unknown):.0%}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for line in run(args.pairs, Path(tmp) / "news", args.seed):
            print(line)


if __name__ == "__main__":
    main()
