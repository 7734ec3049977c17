"""End to end through Debian's postfix (configured by .ci/postfix.sh): 1,000 subscribers →
1,000 messages in its Maildir, each parsed back with the `email` package."""

from __future__ import annotations

import email
import os
import time
import uuid
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import Result
from conftest import require

from newsletter.delivery.tokens import verify_token

from .conftest import SECRET, add_subscribers

pytestmark = pytest.mark.postfix
N = 1000


def _ours(maildir: Path, run: str) -> dict[Path, EmailMessage]:
    found: dict[Path, EmailMessage] = {}
    for sub in ("new", "cur"):
        for p in (maildir / sub).iterdir() if (maildir / sub).is_dir() else ():
            data = p.read_bytes()
            if run.encode() not in data:
                continue
            msg = email.message_from_bytes(data, policy=policy.default)
            assert isinstance(msg, EmailMessage)
            assert max(len(line) for line in data.splitlines()) <= 998
            found[p] = msg
    return found


def test_thousand_subscribers_reach_postfix(news: Path, cli: Callable[..., Result]) -> None:
    port = os.environ.get("NEWSLETTER_TEST_POSTFIX_PORT", "")
    maildir = Path(os.environ.get("NEWSLETTER_TEST_POSTFIX_MAILDIR", "/nonexistent"))
    require(
        bool(port) and maildir.parent.is_dir(), "postfix (NEWSLETTER_TEST_POSTFIX_PORT/_MAILDIR from .ci/run)"
    )
    domain = os.environ.get("NEWSLETTER_TEST_POSTFIX_DOMAIN", "newsletter-test.example.org")
    run = uuid.uuid4().hex[:10]
    addresses = [f"reader{i:04d}-{run}@{domain}" for i in range(N)]
    add_subscribers(news, addresses, name="Leserin {i} Ünal")
    result = cli("send", "sample-issue", env={"NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    assert result.exit_code == 0, result.output
    assert f"sent {N}, failed 0" in result.stdout
    deadline = time.monotonic() + 120
    while len(found := _ours(maildir, run)) < N and time.monotonic() < deadline:
        time.sleep(0.5)
    messages = list(found.values())
    for p in found:  # leave the shared Maildir as we found it
        p.unlink()
    assert len(messages) == N
    assert {m["To"].addresses[0].addr_spec for m in messages} == set(addresses)
    assert len({m["Message-ID"] for m in messages}) == N
    for m in messages:
        to = m["To"].addresses[0]
        assert to.display_name.startswith("Leserin ") and to.display_name.endswith(" Ünal")
        assert m["From"] == "Testpost <newsletter@example.org>"
        assert m["Subject"].startswith("Kasachstan tritt dem Abraham-Abkommen bei")
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = (u.strip(" <>") for u in m["List-Unsubscribe"].split(","))
        assert mailto == "mailto:unsubscribe@example.org?subject=unsubscribe"
        assert verify_token(SECRET, https.rsplit("/", 1)[1]) == to.addr_spec
        text, html = m.iter_parts()
        assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
        assert https in text.get_content() and f'href="{https}"' in html.get_content()  # type: ignore[attr-defined]
        assert "Experten haben den Schritt" in html.get_content()  # type: ignore[attr-defined]
