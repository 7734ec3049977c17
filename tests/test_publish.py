"""`newsletter publish`: due issues are built and sent once; future ones stay private; a killed
run is finished by the next one."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from email import policy
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import DATA
from delivery.smtp_servers import smtp_server, stored_messages

from newsletter.cli.publish import publish_command
from newsletter.config import load_config
from newsletter.delivery.subscribers import SubscriberList
from newsletter.delivery.transports import OutboxTransport
from newsletter.model import Issue
from newsletter.publish import publish

ISSUES = DATA / "publish" / "issues"
BAD = DATA / "publish" / "bad"
NOW = "2025-12-01T06:17:00Z"
SECRET = "test-secret-0123456789abcdef"
READERS = ["ana@example.org", "bo@example.org", "cy@example.org"]

MakeNewsletter = Callable[[Iterable[Path]], Path]


def _now(text: str = NOW) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _subscribe(root: Path, addresses: Iterable[str]) -> None:
    subs = SubscriberList(root / "state" / "newsletter.db")
    try:
        for a in addresses:
            subs.add(a, language="en")
    finally:
        subs.close()


def _received(folder: Path) -> Counter[tuple[str, str]]:
    """(recipient, subject) of every message in a Maildir's new/."""
    out: Counter[tuple[str, str]] = Counter()
    for p in sorted((folder / "new").iterdir()):
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        out[(str(msg["To"]), str(msg["Subject"]))] += 1
    return out


@pytest.fixture
def news(make_newsletter: MakeNewsletter, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_newsletter(sorted(ISSUES.glob("*.md")))
    _subscribe(root, READERS)
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    for name in ("NEWSLETTER_SMTP_URL", "NEWSLETTER_SMTP_USER", "NEWSLETTER_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(root)
    return root


def run_publish(*args: str) -> Result:
    """`newsletter publish …` through click, as newsletter/cli/ registers it."""
    group = click.Group("newsletter")
    group.add_command(publish_command, "publish")
    return CliRunner().invoke(group, ["publish", *args], catch_exceptions=False)


def test_publish_sends_exactly_the_due_issues_once(news: Path) -> None:
    result = run_publish("--now", NOW, "--fast")
    assert result.exit_code == 0, result.output
    public = news / "public" / "issues"
    # Built: everything dated up to the second of the run, the archive too; never the future.
    assert sorted(p.name for p in public.iterdir()) == ["archive-issue", "past-issue", "present-issue"]
    assert "future-issue" not in (news / "public" / "feed.atom").read_text(encoding="utf-8")
    assert "not yet due: future-issue" in result.output
    assert "archive-issue: not sent: dated 2025-10-20" in result.output
    # Sent: the new due issues, to every reader once; the archive and the future to nobody.
    received = _received(news / "state" / "outbox")
    subjects = {s for _, s in received}
    assert subjects == {"Last week's issue", "This week's issue"}
    assert set(received.values()) == {1}
    assert {to for to, _ in received} == set(READERS)

    again = run_publish("--now", NOW, "--fast")
    assert again.exit_code == 0, again.output
    assert "nothing to send (2 due issue(s) sent before)" in again.output
    assert _received(news / "state" / "outbox") == received


def test_next_week_sends_only_the_issue_that_became_due(news: Path) -> None:
    config = load_config(news / "newsletter.toml")
    outbox = OutboxTransport(news / "outbox")
    first = publish(config, now=_now(), fast_check=True, transport=outbox)
    assert [r.slug for r in first.sends] == ["past-issue", "present-issue"]  # oldest first
    assert [i.slug for i in first.not_due] == ["future-issue"]
    later = publish(config, now=_now("2025-12-08T07:00:00Z"), fast_check=True, transport=outbox)
    assert [r.slug for r in later.sends] == ["future-issue"]
    assert [r.sent for r in later.sends] == [len(READERS)]
    assert later.not_due == ()
    assert (news / "public" / "issues" / "future-issue" / "email.html").exists()


def test_publish_reads_each_source_once_and_sends_from_the_built_files(
    news: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newsletter.judges.files
    import newsletter.sources.markdown

    reads: Counter[str] = Counter()
    real = newsletter.sources.markdown.read_issue

    def counting(path: Path, **kwargs: int) -> Issue:
        reads[Path(path).name] += 1
        return real(path, **kwargs)

    monkeypatch.setattr(newsletter.sources.markdown, "read_issue", counting)
    monkeypatch.setattr(newsletter.judges.files, "read_issue", counting)
    config = load_config(news / "newsletter.toml")
    report = publish(config, now=_now(), fast_check=True, transport=OutboxTransport(news / "outbox"))
    assert [r.slug for r in report.sends] == ["past-issue", "present-issue"]
    assert reads == Counter({p.name: 1 for p in ISSUES.glob("*.md")})  # the build's read, no other
    issue_json = json.loads((news / "public" / "issues" / "present-issue" / "issue.json").read_bytes())
    assert (issue_json["slug"], issue_json["source"]) == ("present-issue", "2025-12-01-present-issue.md")


def test_an_issue_dated_one_second_later_is_not_due(news: Path) -> None:
    config = load_config(news / "newsletter.toml")
    report = publish(config, now=_now("2025-12-01T06:16:59Z"), fast_check=True, send=False)
    assert [i.slug for i in report.build.issues] == ["past-issue", "archive-issue"]
    assert [i.slug for i in report.not_due] == ["present-issue", "future-issue"]
    assert not report.sending and not report.sends


def test_issue_option_sends_an_archived_issue_but_never_a_future_one(news: Path) -> None:
    result = run_publish("--now", NOW, "--fast", "--issue", "archive-issue")
    assert result.exit_code == 0, result.output
    assert {s for _, s in _received(news / "state" / "outbox")} == {"An issue from the archive"}
    future = run_publish("--now", NOW, "--fast", "--issue", "future-issue")
    assert future.exit_code == 1
    error = future.output.splitlines()[-1]
    assert error.startswith("error: ") and "not due until 2025-12-08T08:00:00+01:00" in error
    assert "Traceback" not in future.output


def test_dry_run_and_no_send_send_nothing(news: Path) -> None:
    dry = run_publish("--now", NOW, "--fast", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "past-issue: dry run: would send 3 messages" in dry.output
    quiet = run_publish("--now", NOW, "--fast", "--no-send")
    assert quiet.exit_code == 0, quiet.output
    outbox = news / "state" / "outbox" / "new"
    assert not outbox.exists() or not any(outbox.iterdir())
    with sqlite3.connect(news / "state" / "newsletter.db") as db:
        assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0


def test_a_check_problem_stops_sending(
    make_newsletter: MakeNewsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_newsletter([ISSUES / "2025-11-27-past-issue.md", *BAD.glob("*.md")])
    _subscribe(root, READERS)
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    monkeypatch.delenv("NEWSLETTER_SMTP_URL", raising=False)
    monkeypatch.chdir(root)
    result = run_publish("--now", NOW, "--fast")
    assert result.exit_code == 1
    assert "2025-11-28-no-authors.md: no authors" in result.output
    assert not (root / "state" / "outbox").exists()


def test_bad_now_is_one_line(news: Path) -> None:
    result = run_publish("--now", "2025-12-01 06:17", "--fast")
    assert result.exit_code == 1
    assert result.output.startswith("error: --now '2025-12-01 06:17' has no time zone")
    assert result.output.count("\n") == 1


# --- a run killed mid-send ----------------------------------------------------------------------


def _count(db_path: Path, status: str) -> int:
    with sqlite3.connect(db_path, timeout=5) as db:
        return int(db.execute("SELECT count(*) FROM deliveries WHERE status = ?", (status,)).fetchone()[0])


def _publisher(root: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET, "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "publish", "--now", NOW, "--fast"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_a_killed_run_is_finished_by_the_next_without_extra_duplicates(
    make_newsletter: MakeNewsletter, tmp_path: Path
) -> None:
    root = make_newsletter(sorted(ISSUES.glob("*.md")))
    readers = [f"reader{i:03d}@example.org" for i in range(200)]
    _subscribe(root, readers)
    db_path = root / "state" / "newsletter.db"
    store = tmp_path / "received"
    in_flight: list[int] = []
    with smtp_server(store) as port:
        # Kill once while the first issue goes out and once during the second.
        for target in (25, len(readers) + 25):
            proc = _publisher(root, port)
            deadline = time.monotonic() + 90
            while proc.poll() is None and _count(db_path, "sent") < target and time.monotonic() < deadline:
                time.sleep(0.002)
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"publish finished before the kill: {out.decode()}{err.decode()}")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            in_flight.append(_count(db_path, "sending"))
            time.sleep(0.3)  # the server may still be finishing a transaction the sender started
        final = _publisher(root, port)
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, out.decode() + err.decode()
        rerun = _publisher(root, port)
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, out.decode() + err.decode()
        assert "nothing to send (2 due issue(s) sent before)" in out.decode()
        received = _received(store)
        assert len(stored_messages(store)) == sum(received.values())
    subjects = {"Last week's issue", "This week's issue"}
    assert set(received) == {(r, s) for r in readers for s in subjects}
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= sum(in_flight), (duplicates, in_flight)
    assert _count(db_path, "sent") == 2 * len(readers)
    print(f"in flight at the kills: {in_flight}, duplicates: {duplicates}")


def _configure(root: Path, site: str = "", delivery: str = "") -> None:
    config = root / "newsletter.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("[site]\n", f"[site]\n{site}", 1).replace(
        "[delivery]\n", f"[delivery]\n{delivery}", 1
    )
    config.write_text(text, encoding="utf-8")


def test_publish_reads_returned_mail_first_and_pings_the_websub_hub(news: Path) -> None:
    from delivery.websub_hub import websub_hub

    _subscribe(news, ["user@example.com"])  # complained (RFC 5965's example) before this run
    box = news / "bounces"
    for sub in ("tmp", "new", "cur"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1.complaint").write_bytes((DATA / "bounces" / "rfc5965-b2-abuse.eml").read_bytes())
    with websub_hub() as (hub, pings):
        _configure(news, site=f'websub_hub = "{hub}"\n', delivery='bounce_mailbox = "bounces"\n')
        result = run_publish("--now", NOW, "--fast")
    assert result.exit_code == 0, result.output
    assert "1 suppressed" in result.output
    assert "user@example.com" not in {to for to, _ in _received(news / "state" / "outbox")}
    base = "https://newsletter.novastan.org/"
    assert [p["hub.url"] for p in pings] == [[base + f] for f in ("feed.atom", "feed.rss", "feed.json")]
    assert all(p["hub.mode"] == ["publish"] for p in pings)
    assert f'<link href="{hub}" rel="hub"/>' in (news / "public" / "feed.atom").read_text(encoding="utf-8")


def test_a_new_issue_waits_while_the_complaint_rate_is_too_high(news: Path) -> None:
    from newsletter.feedback.events import FeedbackEvent
    from newsletter.feedback.record import FeedbackLedger

    assert run_publish("--now", NOW, "--fast").exit_code == 0
    ledger = FeedbackLedger(news / "state" / "newsletter.db")
    try:
        issue = "tag:newsletter.novastan.org,2025-12-01:present-issue"
        ledger.record([FeedbackEvent("complaint", "ana@example.org", status="abuse", issue_id=issue)], "r1")
    finally:
        ledger.close()
    later = "2025-12-08T07:00:00Z"
    held = run_publish("--now", later, "--fast")
    assert held.exit_code == 0, held.output
    assert "future-issue: not sent: the complaint rate of present-issue is 33.33% (1 of 3)" in held.output
    assert "send anyway with --force" in held.output
    forced = run_publish("--now", later, "--fast", "--force")
    assert "warning: the complaint rate of present-issue" in forced.output
    assert "future-issue: sent 2" in forced.output  # ana complained: suppressed
