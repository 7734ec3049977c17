"""A misbehaving server: 451s, 550s and dropped connections; nothing lost, nothing doubled."""

from __future__ import annotations

import email
import re
from collections import Counter
from collections.abc import Callable
from email import policy
from pathlib import Path

import pytest
from click.testing import Result

from tests.state import query

from .conftest import add_subscribers
from .smtp_servers import FaultPlan, smtp_server, stored_messages

Cli = Callable[..., Result]


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-command-at-a-time", "pipelining"])
def test_temporary_failures_are_retried_permanent_ones_recorded(
    news: Path, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, pipelining: bool
) -> None:
    plan = FaultPlan(seed=7, temporary=0.10, permanent=0.01, drop_every=200)
    addresses = [f"reader{i:04d}@example.org" for i in range(1000)]
    refused = {a for a in addresses if plan.refuses(a)}
    assert 3 <= len(refused) <= 25  # the plan really has permanent failures
    add_subscribers(news, addresses)
    store = tmp_path / "received"
    with smtp_server(store, plan, pipelining=pipelining) as port:
        monkeypatch.setenv("NEWSLETTER_SMTP_URL", f"smtp://127.0.0.1:{port}")
        result = cli("send", "sample-issue", "--retry-delay", "0.02", "--connections", "4")
        assert result.exit_code == 3, result.output
        # A connection dropped after DATA may have delivered: `unknown`, resent only when asked.
        dropped = int(re.search(r"unknown (\d+)", result.stdout).group(1))  # type: ignore[union-attr]
        assert dropped >= 4
        failed = f"failed {len(refused)} ({len(refused)} permanent, 0 temporary)"
        assert f"sent {1000 - len(refused) - dropped}, {failed}" in result.stdout
        assert "already sent" in cli("send", "sample-issue").stdout
        retried_unknown = cli("send", "sample-issue", "--retry-unknown")
        assert f"sent {dropped}, failed 0" in retried_unknown.stdout, retried_unknown.output
    received = Counter(
        email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"] for p in stored_messages(store)
    )
    assert set(received) == set(addresses) - refused
    assert set(received.values()) == {1}  # dropped connections did not store: no duplicates
    failed = dict(query(news, "SELECT address, reply FROM deliveries WHERE status = 'failed'"))
    retried = query(news, "SELECT count(*) FROM deliveries WHERE status = 'sent' AND attempts > 1")[0]
    bounced = {r[0] for r in query(news, "SELECT address FROM subscribers WHERE status = 'bounced'")}
    assert set(failed) == refused and all(r.startswith("550 5.1.1") for r in failed.values())
    assert retried[0] >= 50  # ~10% deferred, plus the dropped connections
    assert bounced == refused  # the default policy: a 5xx to RCPT marks the subscriber bounced
    again = cli("send", "sample-issue")
    assert again.exit_code == 0 and "already sent" in again.stdout
