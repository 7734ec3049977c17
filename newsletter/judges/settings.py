"""The optional `[check]` table of newsletter.toml: the limits the judges apply."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config, Table
from ..errors import NewsletterError, toml_error

#: SpamAssassin score above which `check` fails (5.0 is the usual spam threshold).
DEFAULT_SPAM_LIMIT = 3.0
#: Subjects from this length on get a warning: Gmail and phones cut them around here.
DEFAULT_SUBJECT_WARN_LENGTH = 78


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
    return settings_from_table(config.table("check"))


def load_check_settings(path: Path) -> CheckSettings:
    """The `[check]` table of the config file at `path`; defaults when it has none."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return CheckSettings()
    except tomllib.TOMLDecodeError as e:
        raise toml_error(e, str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise NewsletterError(f"cannot read the [check] table: {e}", path=str(path)) from None
    top = Table(data, "", str(path))
    settings = settings_from_table(top.table("check"))
    top.children["check"].refuse_unknown()
    return settings


def settings_from_table(t: Table) -> CheckSettings:
    """Validate the keys of a `[check]` table; every mistake is one line naming the key."""
    limit = t._get("spam_limit", DEFAULT_SPAM_LIMIT)  # may be negative: fail every message
    if isinstance(limit, bool) or not isinstance(limit, int | float):
        raise t._err("spam_limit", "must be a number, e.g. 3.0")
    length = t.whole("subject_warn_length", DEFAULT_SUBJECT_WARN_LENGTH)
    if length < 1:
        raise t._err("subject_warn_length", "must be a whole number ≥ 1, e.g. 78")
    return CheckSettings(spam_limit=float(limit), subject_warn_length=length)
