"""The spam score a receiving server would give: Debian's SpamAssassin on each issue's message.

Only local tests run (`-L`): no DNS blocklists, no Razor/Pyzor, nothing leaves the machine.
Bayes and user preferences are switched off and HOME points at a throwaway folder, so the
score depends on the message and the installed rules alone, never on earlier runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from ..errors import NewsletterError

SPAMASSASSIN = "spamassassin"
# Bayes learns from what it sees; a judge must not remember earlier runs.
_ARGS = ("-L", "-t", "-x", "--cf=use_bayes 0", "--cf=bayes_auto_learn 0", "--cf=use_auto_whitelist 0")
_STATUS = re.compile(r"^X-Spam-Status:.*?score=(-?\d+(?:\.\d+)?)\s+required=(-?\d+(?:\.\d+)?)", re.M | re.S)
_VERSION = re.compile(r"\bversion=([\w.]+)")
_DETAILS = "Content analysis details:"
_ROW = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s*(.*)$")


@dataclass(frozen=True)
class RuleHit:
    """One SpamAssassin rule that matched: its name, points and description."""

    name: str
    points: float
    description: str


@dataclass(frozen=True)
class SpamVerdict:
    """SpamAssassin's score for one message and every rule behind it."""

    score: float
    required: float
    rules: tuple[RuleHit, ...]
    version: str = ""


def spamassassin_path() -> str | None:
    """The spamassassin executable, or None when it is not installed."""
    return shutil.which(SPAMASSASSIN)


def parse_report(output: str) -> SpamVerdict:
    """Score and rule hits from the output of `spamassassin -t` (header + appended report)."""
    head = output.split("\n\n", 1)[0]
    status = _STATUS.search(head)
    if not status:
        raise NewsletterError("spamassassin gave no X-Spam-Status header; is it installed correctly?")
    version = _VERSION.search(head[status.start() :])
    rules: list[RuleHit] = []
    at = output.rfind(_DETAILS)
    if at >= 0:
        lines = output[at:].splitlines()
        # Skip the heading, the column names and the dashes; rows follow until a blank line.
        start = next((i + 1 for i, line in enumerate(lines) if line.startswith("----")), len(lines))
        for line in lines[start:]:
            if not line.strip():
                break
            row = _ROW.match(line)
            if row and not line.startswith(" " * 10):
                rules.append(RuleHit(row.group(2), float(row.group(1)), row.group(3).strip()))
            elif rules:  # a description wrapped onto the next line
                last = rules[-1]
                rules[-1] = RuleHit(last.name, last.points, f"{last.description} {line.strip()}")
    return SpamVerdict(
        score=float(status.group(1)),
        required=float(status.group(2)),
        # SpamAssassin lists rules in no fixed order; the heaviest first, then by name.
        rules=tuple(sorted(rules, key=lambda r: (-r.points, r.name))),
        version=version.group(1) if version else "",
    )


def score_message(message: bytes, *, executable: str | None = None, timeout: float = 120) -> SpamVerdict:
    """Run SpamAssassin on one RFC 5322 message; its score and rule hits."""
    exe = executable or spamassassin_path()
    if not exe:
        raise NewsletterError("spamassassin is not installed; install it (apt-get install spamassassin)")
    with tempfile.TemporaryDirectory(prefix="newsletter-sa-") as home:
        # English descriptions whatever the locale; a private HOME so nothing is written elsewhere.
        env = {**os.environ, "HOME": home, "LC_ALL": "C", "LANG": "C", "LANGUAGE": ""}
        try:
            done = subprocess.run(
                [exe, *_ARGS], input=message, capture_output=True, env=env, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise NewsletterError(f"spamassassin took longer than {timeout:.0f} s") from None
        except OSError as e:
            raise NewsletterError(f"cannot run spamassassin: {e.strerror}") from None
    output = done.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
    if done.returncode != 0 or "X-Spam-Status:" not in output:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise NewsletterError(f"spamassassin failed (exit {done.returncode}): {last}")
    return parse_report(output)
