"""Real bounces: the sample issue sent through Debian's postfix (.ci/postfix.sh) to a domain
without the user and one whose mailbox is full; postfix's DSNs, returned to the VERP envelope
sender, are read back by `newsletter bounces`."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import require
from delivery.conftest import add_subscribers

from .conftest import feedback, statuses

pytestmark = pytest.mark.postfix


def _ours(maildir: Path, run: str) -> list[Path]:
    found = []
    for sub in ("new", "cur"):
        for p in (maildir / sub).iterdir() if (maildir / sub).is_dir() else ():
            if run.encode() in p.read_bytes():
                found.append(p)
    return found


def test_postfix_dsns_suppress_the_dead_address_and_count_the_full_one(
    news: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    port = os.environ.get("NEWSLETTER_TEST_POSTFIX_PORT", "")
    maildir = Path(os.environ.get("NEWSLETTER_TEST_POSTFIX_MAILDIR", "/nonexistent"))
    bouncing = os.environ.get("NEWSLETTER_TEST_POSTFIX_BOUNCING_DOMAIN", "")
    require(bool(port and bouncing) and maildir.is_dir(), "postfix with a bouncing domain (.ci/postfix.sh)")
    domain = os.environ.get("NEWSLETTER_TEST_POSTFIX_DOMAIN", "newsletter-test.example.org")
    full = os.environ.get("NEWSLETTER_TEST_POSTFIX_FULL_DOMAIN", f"full.{domain}")
    run = uuid.uuid4().hex[:10]
    gone, crammed, fine = f"gone-{run}@{bouncing}", f"crammed-{run}@{full}", f"fine-{run}@{domain}"
    add_subscribers(news, [gone, crammed, fine])
    config = news / "newsletter.toml"
    config.write_text(
        config.read_text().replace("[delivery]\n", "[delivery]\n" + f'bounce_address = "bounces@{domain}"\n')
    )
    sent = cli("send", "sample-issue", env={"NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    assert sent.exit_code == 0 and "sent 3, failed 0" in sent.stdout, sent.output

    box = tmp_path / "returned"
    for sub in ("tmp", "new", "cur"):
        (box / sub).mkdir(parents=True)
    deadline = time.monotonic() + 120
    while len(found := _ours(maildir, run)) < 3 and time.monotonic() < deadline:  # 2 DSNs + 1 message
        time.sleep(0.5)
    for p in found:  # leave the shared Maildir as we found it
        shutil.move(p, box / "new" / p.name)
    assert len(found) == 3

    result = cli("bounces", str(box))
    assert result.exit_code == 0, result.output
    assert "2 suppressed" not in result.stdout
    rows = {
        address: (severity, status, decision) for address, _, severity, status, decision, _ in feedback(news)
    }
    assert rows[gone] == ("hard", "5.1.1", "suppressed")
    assert rows[crammed] == ("soft", "5.2.2", "counted")
    assert statuses(news) == {gone: "bounced", crammed: "active", fine: "active"}
    assert "1 unreadable" in result.stdout  # the message that was delivered is no report: left alone
