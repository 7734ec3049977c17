"""A newsletter folder whose state is on the backend under test, and `newsletter` to run in it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import main
from newsletter.store import DATABASE_URL_ENV

DATA = Path(__file__).resolve().parents[1] / "data"

Cli = Callable[..., Result]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A newsletter folder with its config and no state yet (no database URL in the environment)."""
    root = tmp_path / "news"
    root.mkdir()
    shutil.copy(DATA / "delivery" / "newsletter.toml", root / "newsletter.toml")
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def cli() -> Cli:
    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run
