"""A newsletter whose sample issue went to four subscribers, and the feedback commands."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from delivery.conftest import SECRET, add_subscribers, news  # noqa: F401 (a fixture)

from newsletter.cli.feedback import bounces_command, report_command
from newsletter.cli.send import send_command
from newsletter.cli.subscribers import subscribers_group
from newsletter.delivery.ledger import SendLedger
from tests.state import query, state_url

BOUNCES = Path(__file__).resolve().parents[1] / "data" / "bounces"
ISSUE = "tag:example.org,2025-11-20:sample-issue"
#: In this order, so their ids are 1, 2, 3, 4: the bounce tokens in tests/data/bounces name them.
READERS = ["gone@example.net", "fan@example.com", "nobody-here@example.com", "voll@example.de"]


@pytest.fixture
def sent(news: Path) -> Path:  # noqa: F811
    """`news` after the sample issue was sent to READERS (at 2025-11-20T07:00Z)."""
    add_subscribers(news, READERS)
    ledger = SendLedger(state_url(news))
    try:
        ledger.enqueue(ISSUE, "sample-issue", "de", "de")
    finally:
        ledger.close()
    query(news, "UPDATE deliveries SET status = 'sent', changed = '2025-11-20T07:00:00+00:00'")
    query(news, "UPDATE sends SET enqueued = '2025-11-20T06:59:00+00:00'")
    return news


@pytest.fixture
def cli() -> Callable[..., Result]:
    group = click.Group("newsletter")
    for command in (send_command, subscribers_group, bounces_command, report_command):
        group.add_command(command)

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(group, list(args), env=env, catch_exceptions=False)

    return run


def maildir(root: Path, *names: str) -> Path:
    """A Maildir holding copies of the named fixture files in new/."""
    box = root / "bounces"
    for sub in ("tmp", "new", "cur"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        shutil.copy(BOUNCES / name, box / "new" / f"{1700000000 + i}.M{i}.test")
    return box


def statuses(root: Path) -> dict[str, str]:
    return dict(query(root, "SELECT address, status FROM subscribers"))  # type: ignore[arg-type]


def feedback(root: Path) -> list[tuple]:
    return query(
        root, "SELECT address, kind, severity, status_code, decision, issue_id FROM feedback ORDER BY id"
    )
