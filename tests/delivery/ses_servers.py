"""A real SES v2 endpoint for the delivery tests: npm's aws-ses-v2-local, and a proxy in front of it.

The emulator speaks SES's HTTP API (SendEmail, GetAccount from AWS_SES_ACCOUNT) and keeps what
it accepted at GET /store, parsed. The proxy, a small HTTP server in its own process on loopback,
passes every request on and keeps the raw MIME of each accepted message as a file (so the
headers can be read as sent); with a `SesFaults` plan it also answers like SES under load, for
chosen attempts: 429 TooManyRequestsException or 503, MessageRejected for chosen addresses, and
"Daily message quota exceeded" after a number of accepted messages. Each accepted request's
other fields (tags, configuration set) and arrival time go to requests/<message id>.json.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conftest import ROOT, require

from bench.measure import free_port, stop

from .smtp_servers import _fraction

EMULATOR = ROOT / "node_modules" / "aws-ses-v2-local" / "dist" / "cli.js"


def account(
    max_send_rate: float = 10_000, max_24_hour_send: float = -1, sent_last_24_hours: float = 0
) -> dict:
    """What the emulator's GetAccount answers (it validates the whole shape)."""
    return {
        "DedicatedIpAutoWarmupEnabled": False,
        "Details": {
            "AdditionalContactEmailAddresses": [],
            "ContactLanguage": "EN",
            "MailType": "MARKETING",
            "ReviewDetails": {"CaseId": "test", "Status": "GRANTED"},
            "UseCaseDescription": "newsletter tests",
            "WebsiteURL": "https://news.example.org/",
        },
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": True,
        "SendingEnabled": True,
        "SendQuota": {
            "Max24HourSend": max_24_hour_send,
            "MaxSendRate": max_send_rate,
            "SentLast24Hours": sent_last_24_hours,
        },
        "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
    }


@contextlib.contextmanager
def ses_emulator(quota: dict | None = None) -> Iterator[str]:
    """Run aws-ses-v2-local on a free loopback port; yields its base URL."""
    require(shutil.which("node") is not None and EMULATOR.exists(), "node and npm's aws-ses-v2-local")
    port = free_port()
    env = {**os.environ, "AWS_SES_ACCOUNT": json.dumps(quota or account())}
    proc = subprocess.Popen(
        ["node", str(EMULATOR), "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(f"{url}/health-check", proc)
        yield url
    finally:
        stop(proc, 5)


def _wait_for_http(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if (proc and proc.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer") from None
            time.sleep(0.1)


def emulator_store(url: str) -> list[dict[str, Any]]:
    """Every message the emulator accepted: {"messageId", "destination": {"to": [...]}, ...}."""
    with urllib.request.urlopen(f"{url}/store", timeout=30) as r:
        return list(json.load(r)["emails"])


@dataclass(frozen=True)
class SesFaults:
    seed: int = 1
    busy: float = 0.0  # this share of attempts gets 429 TooManyRequests (or 503, one in four)
    busy_attempts: int = 3  # ...but only a recipient's first N attempts, so everyone gets through
    reject: tuple[str, ...] = ()  # addresses answered MessageRejected (on the suppression list)
    daily_quota: int = 0  # accepted messages after which SendEmail answers "Daily message quota exceeded"
    every_send: tuple[int, str, str] | None = None  # (status, code, message) answered to every SendEmail
    deny_get_account: bool = False  # GetAccount answers AccessDeniedException
    drop_every: int = 0  # every N-th SendEmail: the connection is closed without an answer

    def busy_answer(self, rcpt: str, attempt: int) -> int:
        """0, or the status of a "try later" answer for this attempt."""
        if attempt > self.busy_attempts or _fraction(self.seed, "busy", rcpt.lower(), attempt) >= self.busy:
            return 0
        return 503 if _fraction(self.seed, "kind", rcpt.lower(), attempt) < 0.25 else 429


def _error(handler: BaseHTTPRequestHandler, status: int, code: str, message: str) -> None:
    body = json.dumps({"message": message}).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("x-amzn-ErrorType", f"{code}:http://internal.amazon.com/coral/com.amazonaws.sesv2/")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _serve_proxy(port: int, upstream: str, store: str, faults: SesFaults) -> None:
    target = urlsplit(upstream)
    lock = threading.Lock()
    attempts: dict[str, int] = {}
    accepted = [0]
    calls = [0]
    ids: set[str] = set()  # the message ids answered so far
    local = threading.local()

    def forward(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        for _ in range(2):
            conn = getattr(local, "conn", None) or http.client.HTTPConnection(
                target.hostname, target.port, timeout=30
            )
            local.conn = conn
            try:
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                return r.status, r.getheaders(), r.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                local.conn = None
        raise OSError("upstream unreachable")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if faults.deny_get_account and self.path == "/v2/email/account":
                return _error(self, 403, "AccessDeniedException", "not authorized to perform ses:GetAccount")
            if faults.every_send and self.path == "/v2/email/outbound-emails":
                return _error(self, *faults.every_send)
            if self.command == "POST" and self.path == "/v2/email/outbound-emails":
                request = json.loads(body)
                rcpt = request["Destination"]["ToAddresses"][0]
                with lock:
                    n = attempts[rcpt] = attempts.get(rcpt, 0) + 1
                    calls[0] += 1
                    drop = bool(faults.drop_every) and calls[0] % faults.drop_every == 0
                if drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                if rcpt in faults.reject:
                    return _error(
                        self, 400, "MessageRejected",
                        "Email address is on the suppression list for your account.",
                    )  # fmt: skip
                status = faults.busy_answer(rcpt, n)
                if status == 429:
                    return _error(self, 429, "TooManyRequestsException", "Maximum sending rate exceeded.")
                if status:
                    return _error(self, 503, "ServiceUnavailable", "Service unavailable, try again.")
                with lock:  # counted when taken, so parallel requests cannot overshoot the quota
                    over = bool(faults.daily_quota) and accepted[0] >= faults.daily_quota
                    accepted[0] += 0 if over else 1
                if over:
                    return _error(self, 400, "LimitExceededException", "Daily message quota exceeded.")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            status, answer_headers, answer = forward(self.command, self.path, headers, body)
            if status == 200 and self.command == "POST" and self.path == "/v2/email/outbound-emails":
                message_id = json.loads(answer)["MessageId"]
                with lock:  # SES's ids are unique; the emulator draws 9 random digits, which can repeat
                    unique, k = message_id, 1
                    while unique in ids:
                        k += 1
                        unique = f"{message_id}-{k}"
                    ids.add(unique)
                if unique != message_id:  # answered as SES would: with an id of its own
                    answer = json.dumps({**json.loads(answer), "MessageId": unique}).encode()
                    message_id = unique
                raw = base64.b64decode(request["Content"]["Raw"]["Data"])
                del request["Content"]
                request["at"] = time.time()
                Path(store, "requests", f"{message_id}.json").write_text(json.dumps(request))
                tmp = Path(store, "tmp", message_id)
                tmp.write_bytes(raw)
                os.replace(tmp, Path(store, "new", f"{message_id}.eml"))
            self.send_response(status)
            for k, v in answer_headers:
                if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_PUT = do_DELETE = _relay

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


@contextlib.contextmanager
def ses_proxy(upstream: str, store: Path, faults: SesFaults | None = None) -> Iterator[str]:
    """The recording (and, with `faults`, misbehaving) proxy in its own process; yields its URL."""
    for sub in ("tmp", "new", "requests"):
        (store / sub).mkdir(parents=True, exist_ok=True)
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(
        target=_serve_proxy, args=(port, upstream, str(store), faults or SesFaults()), daemon=True
    )
    proc.start()
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/health-check")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.join(5)


def recorded_requests(store: Path) -> dict[str, dict[str, Any]]:
    """SES message id -> the SendEmail request the proxy passed on (without its content), with "at"."""
    return {p.stem: json.loads(p.read_text()) for p in (store / "requests").iterdir()}


def aws_env(endpoint: str) -> dict[str, str]:
    """The standard AWS variables that point boto3 (and so `newsletter send`) at `endpoint`."""
    return {
        "AWS_ACCESS_KEY_ID": "AKIDNEWSLETTERTEST",
        "AWS_SECRET_ACCESS_KEY": "newsletter-test-secret",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL_SESV2": endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
