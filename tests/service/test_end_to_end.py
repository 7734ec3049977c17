"""End to end: headless Chromium signs up on the real server, the confirmation mail arrives at a
real SMTP server, its link is opened, then a mail provider's one-click POST unsubscribes, and the
next send skips that address."""

from __future__ import annotations

import dataclasses
import email
import functools
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from browser import launch_chromium
from delivery.smtp_servers import free_port, smtp_server, stored_messages

from newsletter.config import load_config
from newsletter.delivery.send import send_issue
from newsletter.delivery.transports import SmtpTransport, smtp_settings
from newsletter.outputs.built import read_built_issue
from newsletter.outputs.site import render_index

from .conftest import DATA, SECRET, confirm_url, subscribers
from .live import ROOT, running_service

DELIVERY = DATA.parent / "delivery"

CONFIG = """
[site]
title = "Testpost"
base_url = "http://127.0.0.1:{site_port}/"
language = "de"
feed_id = "tag:example.org,2025:testpost"
subscribe_url = "http://127.0.0.1:{port}/subscribe"
unsubscribe_url = "https://subscribe.example.org/unsubscribe/{{token}}"

[editions.de]
[editions.fr]
[editions.en]

[email]
from = "Testpost <newsletter@example.org>"

[delivery]
database = "state/newsletter.db"
outbox = "state/outbox"

[service]
public_url = "http://127.0.0.1:{port}/"
"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launch_chromium() as browser:
        yield browser


@functools.cache
def _quiet_handler(directory: str) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=directory, **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def static_site(folder: Path, port: int) -> ThreadingHTTPServer:
    """The built web pages (with the subscribe snippet), served from another origin."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _quiet_handler(str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_for_mails(store: Path, n: int, timeout: float = 20) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while len(stored_messages(store)) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    messages = []
    for p in stored_messages(store):
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        messages.append(msg)
    assert len(messages) == n, f"{len(messages)} mails, expected {n}"
    return messages


def test_sign_up_confirm_unsubscribe_in_a_browser(tmp_path: Path, chromium: Any) -> None:
    port, site_port = free_port(), free_port()
    root = tmp_path / "news"
    root.mkdir()
    (root / "newsletter.toml").write_text(CONFIG.format(port=port, site_port=site_port), encoding="utf-8")
    config = load_config(root)
    site_dir = root / "public"
    site_dir.mkdir()
    (site_dir / "index.html").write_text(render_index(config.site, [], ROOT / "templates"), encoding="utf-8")
    store = tmp_path / "received"
    with smtp_server(store) as smtp_port:
        env = {"NEWSLETTER_SECRET": SECRET, "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
        site = static_site(site_dir, site_port)
        try:
            with running_service(root / "newsletter.toml", port, env, tmp_path / "serve.log") as base:
                page = chromium.new_page()
                csp_errors: list[str] = []
                page.on(
                    "console", lambda m: csp_errors.append(m.text) if "Content Security" in m.text else None
                )

                # 1. the service's own form (CSRF token + cookie), the page in French
                page.goto(f"{base}/subscribe?lang=fr")
                page.fill("#subscribe-email", "lila@example.org")
                page.select_option("#subscribe-language", "de")
                page.click("button[type=submit]")
                assert page.inner_text("h1") == "Fast geschafft – bitte bestätigt eure Adresse"
                accent = page.eval_on_selector("main a", "a => getComputedStyle(a).color")
                assert accent in (
                    "rgb(11, 87, 164)",
                    "rgb(156, 202, 255)",
                )  # the one palette (links): CSS applied

                # 2. the static site's snippet, posting across origins (trusted by its Origin)
                page.goto(f"http://127.0.0.1:{site_port}/index.html")
                page.fill("#subscribe-email", "max@example.org")
                page.click(".subscribe button[type=submit]")
                page.wait_for_url(f"{base}/subscribe")
                assert page.inner_text("h1").startswith("Fast geschafft")

                mails = wait_for_mails(store, 2)
                assert {m["To"] for m in mails} == {"lila@example.org", "max@example.org"}
                for m in mails:
                    page.goto(confirm_url(m))
                    assert page.inner_text("h1") == "Angemeldet!"
                assert csp_errors == []
                subs = subscribers(root)
                assert {s.address: s.status for s in subs.stream()} == {
                    "lila@example.org": "active",
                    "max@example.org": "active",
                }

                # 3. an issue goes out; max's mail provider posts its one-click unsubscribe
                issue = read_built_issue(DELIVERY / "built" / "sample-issue")
                html = (DELIVERY / "built" / issue.slug / "email.html").read_text(encoding="utf-8")
                text = (DELIVERY / "built" / issue.slug / "email.txt").read_text(encoding="utf-8")
                transport = SmtpTransport(smtp_settings(env["NEWSLETTER_SMTP_URL"]))
                send = functools.partial(
                    send_issue, config, html=html, text=text, secret=SECRET, transport=transport
                )
                assert send(issue).sent == 2
                issue_mails = wait_for_mails(store, 4)[2:]
                [to_max] = [m for m in issue_mails if m["To"] == "max@example.org"]
                assert to_max["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
                url = re.search(r"<(https://[^>]+)>", str(to_max["List-Unsubscribe"]))
                assert url
                path = "/" + url.group(1).split("/", 3)[3]  # TLS ends at the proxy in front
                request = urllib.request.Request(
                    base + path, data=b"List-Unsubscribe=One-Click", method="POST",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )  # fmt: skip
                with urllib.request.urlopen(request, timeout=10) as r:
                    assert r.status == 200 and r.url == base + path  # no redirect
                assert subs.signup_status("max@example.org") == "unsubscribed"

                # 4. the next issue reaches lila only
                report = send(dataclasses.replace(issue, id=issue.id + "-next", slug="next-issue"))
                assert report.sent == 1
                assert [m["To"] for m in wait_for_mails(store, 5)[4:]] == ["lila@example.org"]
                subs.close()
        finally:
            site.shutdown()
