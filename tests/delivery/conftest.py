"""A throwaway newsletter with a built sample issue, subscribers, and the delivery CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from newsletter.cli.send import send_command
from newsletter.cli.subscribers import subscribers_group
from newsletter.delivery.subscribers import SubscriberList
from tests.state import state_url, use_backend

DATA = Path(__file__).resolve().parents[1] / "data" / "delivery"
SECRET = "test-secret-0123456789abcdef"


@pytest.fixture
def news(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    """A newsletter folder: config, the sample issue, its built email; secret set, no SMTP URL;
    its state on each backend in turn."""
    root = tmp_path / "news"
    (root / "issues").mkdir(parents=True)
    shutil.copy(DATA / "newsletter.toml", root / "newsletter.toml")
    shutil.copy(DATA / "issues" / "2025-11-20-sample-issue.md", root / "issues")
    shutil.copytree(DATA / "built", root / "public" / "issues")
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    monkeypatch.delenv("NEWSLETTER_SMTP_URL", raising=False)
    monkeypatch.delenv("NEWSLETTER_SMTP_USER", raising=False)
    monkeypatch.delenv("NEWSLETTER_SMTP_PASSWORD", raising=False)
    monkeypatch.chdir(root)
    use_backend(database_url, monkeypatch)
    return root


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run a delivery command as `newsletter …` would, with only the delivery commands."""
    group = click.Group("newsletter")
    group.add_command(send_command, "send")
    group.add_command(subscribers_group, "subscribers")

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(group, list(args), env=env, catch_exceptions=False)

    return run


def add_subscribers(root: Path, addresses: Sequence[str], *, name: str = "", language: str = "") -> None:
    """Put `addresses` on the list of the newsletter in `root` (through a real CSV import)."""
    csv = root / "subscribers.csv"
    with open(csv, "w", encoding="utf-8") as f:
        f.write("email,name,language\n")
        for i, a in enumerate(addresses):
            f.write(f"{a},{name.format(i=i)},{language}\n")
    subs = SubscriberList(state_url(root))
    try:
        report = subs.import_csv(csv)
    finally:
        subs.close()
    assert not report.errors, report.errors
