"""The deployment of README "Deploying" end to end, on each backend, black-box: `newsletter db
upgrade`, the service under gunicorn with 4 workers, a reader signing up through the form in
headless Chromium and confirming from the mail, `newsletter publish` mailing the issue to them
through an SMTP server, their mail provider's one-click unsubscribe, and the next issue skipping
them. Every part is its own process; they share nothing but NEWSLETTER_DATABASE_URL."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from browser import launch_chromium
from conftest import DATA
from delivery.smtp_servers import free_port, smtp_server, stored_messages

from bench.serve_bench import running_service

ISSUES = DATA / "publish" / "issues"
SECRET = "deployment-test-secret-0123456789"
READER = "lila@example.org"
REGULAR = "ana@example.org"  # on the list before, through the CLI
NEWSLETTER = Path(sys.executable).with_name("newsletter")  # the installed command


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launch_chromium() as browser:
        yield browser


def newsletter(root: Path, env: dict[str, str], *args: str) -> str:
    """Run the `newsletter` command in the newsletter's folder; its output; fails the test on exit ≠ 0."""
    result = subprocess.run(
        [str(NEWSLETTER), *args], cwd=root, env={**os.environ, **env}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"newsletter {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def mails(store: Path, n: int, timeout: float = 30) -> list[EmailMessage]:
    """The first `n` messages the SMTP server received, oldest first (waits for them)."""
    deadline = time.monotonic() + timeout
    while len(stored_messages(store)) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    found = []
    for p in sorted(stored_messages(store), key=lambda p: p.name):  # named by arrival time
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    assert len(found) >= n, f"{len(found)} mails, expected {n}: {[m['Subject'] for m in found]}"
    return found


def link(msg: EmailMessage, pattern: str) -> str:
    text = msg.get_body(("plain",))
    assert text is not None
    m = re.search(pattern, text.get_content())
    assert m, text.get_content()
    return m.group(0)


def one_click_unsubscribe(base: str, msg: EmailMessage) -> None:
    """What a mail provider does for RFC 8058: POST `List-Unsubscribe=One-Click` to the header's URL."""
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(https://[^>]+)>", str(msg["List-Unsubscribe"]))
    assert url
    path = "/" + url.group(1).split("/", 3)[3]  # TLS ends at the proxy in front of the service
    request = urllib.request.Request(
        base + path, data=b"List-Unsubscribe=One-Click", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=20) as r:
        assert r.status == 200


def recipients(messages: Iterable[EmailMessage], subject: str) -> list[str]:
    return sorted(str(m["To"]) for m in messages if m["Subject"] == subject)


@pytest.mark.browser
@pytest.mark.slow
def test_sign_up_confirm_publish_unsubscribe_across_processes(
    database_url: str,
    make_newsletter: Callable[[Iterable[Path]], Path],
    tmp_path: Path,
    chromium: Any,
) -> None:
    root = make_newsletter([ISSUES / "2025-12-01-present-issue.md", ISSUES / "2025-12-08-future-issue.md"])
    port = free_port()
    with open(root / "newsletter.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[service]\npublic_url = "http://127.0.0.1:{port}/"\n')
    store = tmp_path / "received"
    with smtp_server(store) as smtp_port:
        env = {
            "NEWSLETTER_DATABASE_URL": database_url,
            "NEWSLETTER_SECRET": SECRET,
            "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        }
        newsletter(root, env, "db", "upgrade")
        newsletter(root, env, "subscribers", "add", REGULAR, "--language", "en")
        log = tmp_path / "gunicorn.log"
        with running_service(root / "newsletter.toml", port, env, log, gunicorn_workers=4) as base:
            # 1. a reader signs up on the service's form and confirms from the mail
            page = chromium.new_page()
            page.goto(f"{base}/subscribe?lang=en")
            page.fill("#subscribe-email", READER)
            page.select_option("#subscribe-language", "en")
            page.click("button[type=submit]")
            assert "confirmation link" in page.inner_text("main")
            [confirmation] = mails(store, 1)
            assert confirmation["To"] == READER
            page.goto(link(confirmation, r"https?://\S+/confirm/\S+"))
            assert page.inner_text("h1") == "You are subscribed!"

            # 2. the scheduled run mails this week's issue: the new reader is on the list
            newsletter(root, env, "publish", "--now", "2025-12-01T06:17:00Z", "--fast")
            received = mails(store, 3)
            assert recipients(received, "This week's issue") == [REGULAR, READER]

            # 3. the reader's mail provider posts the one-click unsubscribe
            [to_reader] = [m for m in received if m["To"] == READER and m["Subject"] == "This week's issue"]
            one_click_unsubscribe(base, to_reader)

            # 4. next week's run skips them
            newsletter(root, env, "publish", "--now", "2025-12-08T07:00:00Z", "--fast")
            received = mails(store, 4)
            assert recipients(received, "Next week's issue") == [REGULAR]
            time.sleep(0.5)
            assert len(stored_messages(store)) == 4  # nothing else, nothing twice
        assert "/confirm/…" in log.read_text(encoding="utf-8")

    # The state is in the database the URL names, and only there.
    assert not (root / "state" / "newsletter.db").exists()
    assert newsletter(root, env, "subscribers", "list", "--status", "unsubscribed").split()[0] == READER
