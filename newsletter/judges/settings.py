"""The optional `[check]` table of newsletter.toml: the limits the judges apply."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import NewsletterError

#: SpamAssassin score above which `check` fails (5.0 is the usual spam threshold).
DEFAULT_SPAM_LIMIT = 3.0
#: Subjects from this length on get a warning: Gmail and phones cut them around here.
DEFAULT_SUBJECT_WARN_LENGTH = 78
KEYS = ("spam_limit", "subject_warn_length")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class CheckSettings:
    spam_limit: float = DEFAULT_SPAM_LIMIT
    subject_warn_length: int = DEFAULT_SUBJECT_WARN_LENGTH
    # A judge whose tool is missing (spamassassin, Chromium, axe-core) is a problem in CI and
    # a warning elsewhere, so an editor without them can still check the rest.
    require_tools: bool = field(default_factory=_in_ci)


def check_settings(config: Config) -> CheckSettings:
    """The `[check]` table of the loaded config; defaults when it has none."""
    return settings_from_table(config.table("check").data, config.source)


def load_check_settings(path: Path) -> CheckSettings:
    """The `[check]` table of the config file at `path`; defaults when it has none."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return CheckSettings()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise NewsletterError(f"cannot read the [check] table: {e}", path=str(path)) from None
    table = data.get("check", {})
    if not isinstance(table, dict):
        raise NewsletterError("check must be a table: write [check] on its own line", path=str(path))
    return settings_from_table(table, str(path))


def settings_from_table(table: dict[str, Any], where: str) -> CheckSettings:
    """Validate the keys of a `[check]` table; every mistake is one line naming the key."""
    for key in table:
        if key not in KEYS:
            raise NewsletterError(f"[check] {key}: unknown key; the keys are {', '.join(KEYS)}", path=where)
    limit = table.get("spam_limit", DEFAULT_SPAM_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float):
        raise NewsletterError("[check] spam_limit: must be a number, e.g. 3.0", path=where)
    length = table.get("subject_warn_length", DEFAULT_SUBJECT_WARN_LENGTH)
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise NewsletterError("[check] subject_warn_length: must be a whole number ≥ 1, e.g. 78", path=where)
    return CheckSettings(spam_limit=float(limit), subject_warn_length=length)
