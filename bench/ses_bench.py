"""SES benchmark: `newsletter send` through the SES transport vs a raw boto3 loop, same concurrency.

Run:  .venv/bin/python -m bench.ses_bench [--messages 1000] [--rounds 4]

Both talk to npm's aws-ses-v2-local (the SES v2 HTTP API on loopback, in its own process). For 1
and 4 connections the real sender sends N personalized messages of a sample-sized issue (ledger,
tokens, per-recipient rendering, GetAccount, tags) and, in the same run, bare boto3 `send_email`
calls send N copies of one pre-built raw message from as many threads over one client, taking
turns at going first, `--rounds` times. Prints the median rates and their ratio (goal ≥ 0.7).
Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .send_bench import ROOT, SECRET, free_port, in_threads, populate, prebuilt_message, running, sample_issue

EMULATOR = ROOT / "node_modules" / "aws-ses-v2-local" / "dist" / "cli.js"
QUOTA = {"Max24HourSend": -1, "MaxSendRate": 100_000, "SentLast24Hours": 0}


@contextmanager
def emulator() -> Iterator[str]:
    """aws-ses-v2-local on a free port, with an account whose quota does not limit the run."""
    port = free_port()
    account = {
        "DedicatedIpAutoWarmupEnabled": False,
        "Details": {"AdditionalContactEmailAddresses": [], "ContactLanguage": "EN", "MailType": "MARKETING",
                    "ReviewDetails": {"CaseId": "bench", "Status": "GRANTED"}, "UseCaseDescription": "bench",
                    "WebsiteURL": "https://news.example.org/"},
        "EnforcementStatus": "HEALTHY", "ProductionAccessEnabled": True, "SendingEnabled": True,
        "SendQuota": QUOTA, "SuppressionAttributes": {"SuppressedReasons": []},
    }  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(
        ["node", str(EMULATOR), "--host", "127.0.0.1", "--port", str(port)],
        lambda: _answers(f"{url}/health-check"),
        env={**os.environ, "AWS_SES_ACCOUNT": json.dumps(account)},
    ):
        yield url


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
        return True
    except OSError:
        return False


def clear(url: str) -> None:
    """Empty the emulator's store (it keeps every message in memory)."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/clear-store", method="POST"), timeout=30).close()


def run_sender(root: Path, connections: int) -> tuple[int, float]:
    from newsletter.config import load_config
    from newsletter.delivery.send import SendOptions, find_issue, send_issue
    from newsletter.delivery.ses import SesTransport
    from newsletter.outputs.built import built_email

    config = load_config(root / "newsletter.toml")
    issue = find_issue(config, "sample-issue", root / "public")
    html, text = built_email(root / "public", issue)
    t0 = time.perf_counter()
    report = send_issue(
        config, issue, html=html, text=text, secret=SECRET, transport=SesTransport(),
        options=SendOptions(connections=connections),
    )  # fmt: skip
    return report.sent, time.perf_counter() - t0


def run_baseline(connections: int, n: int, data: bytes) -> float:
    """Bare boto3: one client configured as the transport's, `connections` threads, the same
    pre-built bytes n times; seconds."""
    from newsletter.delivery.ses import SesTransport

    client = SesTransport().client  # a plain boto3 sesv2 client: pool of 64, no botocore retries

    def worker(k: int) -> None:
        for i in range(k):
            client.send_email(
                FromEmailAddress="newsletter@example.org",
                Destination={"ToAddresses": [f"reader{i:06d}@example.org"]},
                Content={"Raw": {"Data": data}},
            )

    return in_threads(worker, connections, n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    if shutil.which("node") is None or not EMULATOR.exists():
        raise SystemExit("needs node and npm's aws-ses-v2-local (npm ci)")
    tmp = Path(tempfile.mkdtemp(prefix="ses-bench-"))
    try:
        with emulator() as url:
            os.environ.update(
                AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1",
                AWS_ENDPOINT_URL_SESV2=url, AWS_EC2_METADATA_DISABLED="true",
            )  # fmt: skip
            print(f"aws-ses-v2-local {_version()}; {args.messages} messages; {os.cpu_count()} CPUs")
            for connections in (1, 4):
                bases, ours = [], []
                for r in range(args.rounds):  # alternating, so a busy moment hurts both alike
                    root = tmp / f"rate-{connections}-{r}"
                    sample_issue(root)
                    populate(root, args.messages)
                    if r == 0:
                        run_baseline(
                            connections, 200, prebuilt_message(root)
                        )  # warm up the emulator (node's JIT)
                    for which in ("baseline", "ours") if r % 2 == 0 else ("ours", "baseline"):
                        clear(url)  # node frees the last run's messages during the next: take turns
                        if which == "baseline":
                            bases.append(
                                args.messages
                                / run_baseline(connections, args.messages, prebuilt_message(root))
                            )
                        else:
                            sent, seconds = run_sender(root, connections)
                            assert sent == args.messages, sent
                            ours.append(sent / seconds)
                r_base, r_ours = statistics.median(bases), statistics.median(ours)
                print(f"{connections} connection(s): newsletter send via SES {r_ours:7.0f} msg/s, "
                      f"raw boto3 {r_base:7.0f} msg/s, ratio {r_ours / r_base:.2f}")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _version() -> str:
    try:
        return str(json.loads((EMULATOR.parents[1] / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "?"


if __name__ == "__main__":
    os.environ.setdefault("NEWSLETTER_SECRET", SECRET)
    main()
