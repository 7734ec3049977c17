"""The optional [check] table: defaults, values, and one clear line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.judges.settings import CheckSettings, load_check_settings

CONFIG = Path(__file__).resolve().parents[1] / "data" / "judges" / "config"


def test_no_check_table_gives_the_defaults() -> None:
    settings = load_check_settings(CONFIG / "no-check-table.toml")
    assert (settings.spam_limit, settings.subject_warn_length) == (3.0, 78)


def test_values_are_read() -> None:
    settings = load_check_settings(CONFIG / "strict-limits.toml")
    assert (settings.spam_limit, settings.subject_warn_length) == (1.5, 60)


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_check_settings(tmp_path / "newsletter.toml").spam_limit == CheckSettings().spam_limit


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("spam-limit-not-a-number.toml", "[check] spam_limit: must be a number"),
        ("subject-length-zero.toml", "[check] subject_warn_length: must be a whole number"),
        ("unknown-key.toml", "[check] spam_limt: unknown key; did you mean 'spam_limit'?"),
        ("check-not-a-table.toml", "check: must be a table: write [check] on its own line"),
    ],
)
def test_mistakes_are_one_line_naming_the_file(fixture: str, message: str) -> None:
    with pytest.raises(NewsletterError) as e:
        load_check_settings(CONFIG / fixture)
    assert message in str(e.value)
    assert str(e.value).startswith(str(CONFIG / fixture))
    assert "\n" not in str(e.value)


def test_tools_are_required_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert CheckSettings().require_tools
    monkeypatch.setenv("CI", "")
    assert not CheckSettings().require_tools
