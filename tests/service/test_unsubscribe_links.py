"""The List-Unsubscribe links `newsletter send` puts in every issue work on the service (RFC 8058)."""

from __future__ import annotations

import dataclasses
import email
from email import policy
from pathlib import Path

from flask import Flask

from newsletter.config import load_config
from newsletter.delivery.send import send_issue
from newsletter.delivery.transports import OutboxTransport
from newsletter.outputs.built import read_built_issue

from .conftest import SECRET, subscribers

DELIVERY = Path(__file__).resolve().parents[1] / "data" / "delivery"


def test_a_sent_issues_one_click_link_unsubscribes_and_the_next_send_skips(
    app: Flask, news: Path, tmp_path: Path
) -> None:
    subs = subscribers(news)
    for address in ("stay@example.org", "leave@example.org"):
        subs.add(address, language="de")
    subs.close()
    config = load_config(news / "newsletter.toml")
    issue = read_built_issue(DELIVERY / "built" / "sample-issue")
    html = (DELIVERY / "built" / issue.slug / "email.html").read_text(encoding="utf-8")
    text = (DELIVERY / "built" / issue.slug / "email.txt").read_text(encoding="utf-8")
    outbox = tmp_path / "issue-outbox"
    report = send_issue(config, issue, html=html, text=text, secret=SECRET, transport=OutboxTransport(outbox))
    assert report.sent == 2
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in (outbox / "new").iterdir()
    ]
    [leaving] = [m for m in messages if m["To"] == "leave@example.org"]
    assert leaving["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(leaving["List-Unsubscribe"]).split("<", 1)[1].split(">", 1)[0]
    assert url.startswith("https://subscribe.example.org/unsubscribe/")
    # a mail provider's one-click POST: exactly the pair from List-Unsubscribe-Post, no cookie
    r = app.test_client().post(
        "/" + url.split("/", 3)[3],
        data=str(leaving["List-Unsubscribe-Post"]),
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 200 and "Location" not in r.headers
    subs = subscribers(news)
    statuses = {s.address: s.status for s in subs.stream()}
    subs.close()
    assert statuses == {"stay@example.org": "active", "leave@example.org": "unsubscribed"}
    # the next issue goes to the one who stayed only
    later = dataclasses.replace(issue, id=issue.id + "-next")
    report = send_issue(config, later, html=html, text=text, secret=SECRET, transport=OutboxTransport(outbox))
    assert report.sent == 1
