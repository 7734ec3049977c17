"""The service and the sender share one state: a sign-up confirmed through the service is in the
very next send, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from flask import Flask

from newsletter.cli import main
from tests.state import query

from .test_app import signed_up

DELIVERY = Path(__file__).resolve().parents[1] / "data" / "delivery"


def test_a_confirmed_sign_up_gets_the_next_issue(app: Flask, news: Path) -> None:
    app.test_client().get(signed_up(app, news, "neu@example.org", "de"))
    (news / "issues").mkdir()
    shutil.copy(DELIVERY / "issues" / "2025-11-20-sample-issue.md", news / "issues")
    shutil.copytree(DELIVERY / "built", news / "public" / "issues")
    result = CliRunner().invoke(main, ["send", "sample-issue", "--config", str(news / "newsletter.toml")])
    assert result.exit_code == 0, result.output
    assert query(news, "SELECT address, status FROM deliveries") == [("neu@example.org", "sent")]
