"""Concurrent sign-ups against the real server, from this process: no errors, nothing lost or doubled."""

from __future__ import annotations

from pathlib import Path

from .live import run


def test_100_concurrent_sign_ups_lose_and_double_nothing(tmp_path: Path) -> None:
    result, problems = run(100, 100, tmp_path / "news")
    assert problems == []
    assert result.statuses == {202: 100}
