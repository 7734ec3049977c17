"""`newsletter serve` and the gunicorn entry point refuse to start without the secret, in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli.serve import serve_command

from .live import ROOT


def test_serve_without_the_secret_is_one_line(news: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET")
    result = CliRunner().invoke(serve_command, ["--config", str(news / "newsletter.toml"), "--port", "0"])
    assert result.exit_code == 1
    assert result.output.startswith("error: NEWSLETTER_SECRET is not set; set it to a long random string")
    assert result.output.count("\n") == 1


def test_the_wsgi_module_without_the_secret_is_one_line(news: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_SECRET"}
    env.update(NEWSLETTER_CONFIG=str(news / "newsletter.toml"), PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-c", "import newsletter.service.wsgi"], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.startswith("error: NEWSLETTER_SECRET is not set") and run.stderr.count("\n") == 1


def test_the_wsgi_module_loads_the_configured_newsletter(news: Path) -> None:
    env = {**os.environ, "NEWSLETTER_CONFIG": str(news), "PYTHONPATH": str(ROOT)}
    code = "from newsletter.service.wsgi import app; print(app.extensions['newsletter'].settings.public_url)"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "https://subscribe.example.org/\n"
