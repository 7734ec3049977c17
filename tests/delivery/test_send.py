"""`newsletter send` against a real SMTP server (aiosmtpd in its own process) and the outbox."""

from __future__ import annotations

import datetime as dt
import email
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from newsletter.config import load_config
from newsletter.delivery.personalize import Personalizer
from newsletter.delivery.send import SendOptions, find_issue, send_issue
from newsletter.delivery.tokens import verify_token
from newsletter.delivery.transports import (
    ConnectFailure,
    OutboxTransport,
    SmtpSettings,
    SmtpTransport,
    TransportFatal,
)
from newsletter.errors import NewsletterError
from newsletter.outputs.built import built_email
from newsletter.outputs.mime import date_header
from tests.state import query

from .conftest import DATA, SECRET, add_subscribers
from .smtp_servers import smtp_server, stored_messages

Cli = Callable[..., Result]


@pytest.fixture
def smtp(news: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An aiosmtpd server storing into tmp/received; NEWSLETTER_SMTP_URL points at it."""
    store = tmp_path / "received"
    with smtp_server(store) as port:
        monkeypatch.setenv("NEWSLETTER_SMTP_URL", f"smtp://127.0.0.1:{port}")
        yield store


def parse(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def ledger(root: Path, sql: str) -> list[tuple[Any, ...]]:
    return query(root, sql)


def test_sends_one_copy_to_each_active_subscriber(news: Path, smtp: Path, cli: Cli) -> None:
    addresses = [f"reader{i:03d}@example.org" for i in range(120)]
    add_subscribers(news, addresses, name="Leser Nr. {i}")
    cli("subscribers", "remove", "reader007@example.org")
    cli("subscribers", "add", "fr-reader@example.org", "--language", "fr")  # another edition
    result = cli("send", "sample-issue")
    assert result.exit_code == 0, result.output
    assert "sent 119, failed 0" in result.stdout
    messages = [parse(p) for p in stored_messages(smtp)]
    to = Counter(m["To"].addresses[0].addr_spec for m in messages)
    assert set(to) == set(addresses) - {"reader007@example.org"} and set(to.values()) == {1}
    assert len({m["Message-ID"] for m in messages}) == 119
    m = messages[0]
    addr = m["To"].addresses[0].addr_spec
    assert m["To"].addresses[0].display_name.startswith("Leser Nr. ")
    assert m["Subject"] == "Kasachstan tritt dem Abraham-Abkommen bei – was heißt das für Zentralasien?"
    assert m["List-Id"] == "Testpost <testpost.example.org>"
    token = m["List-Unsubscribe"].split("<https://news.example.org/unsubscribe/", 1)[1].split(">")[0]
    assert verify_token(SECRET, token) == addr
    text, html = (p.get_content() for p in m.iter_parts())  # type: ignore[attr-defined]
    assert token in text and token in html
    assert ledger(news, "SELECT status, count(*) FROM deliveries GROUP BY status") == [("sent", 119)]


def test_names_from_an_older_list_cannot_inject_headers_or_recipients(
    news: Path, smtp: Path, cli: Cli
) -> None:
    """The report's names, stored before names were validated (written into the database
    directly): each message the SMTP server receives names its one recipient, nothing else."""
    attacks = (
        (DATA.parent / "hostile" / "header-injection-names.txt").read_text(encoding="utf-8").splitlines()
    )
    addresses = [f"victim{i}@example.org" for i in range(len(attacks))]
    add_subscribers(news, addresses)
    for name, address in zip(attacks, addresses, strict=True):
        query(news, "UPDATE subscribers SET name = :n WHERE address = :a", n=name, a=address)
    result = cli("send", "sample-issue")
    assert result.exit_code == 0, result.output
    received = {}
    for path in stored_messages(smtp):
        data = path.read_bytes()
        head = data.split(b"\r\n\r\n", 1)[0].decode("ascii").replace("\r\n ", " ").split("\r\n")
        keys = [line.split(":", 1)[0].lower() for line in head]
        assert len(keys) == len(set(keys)) and "bcc" not in keys and "cc" not in keys
        (to,) = [line[3:] for line in head if line.lower().startswith("to:")]
        (legacy,) = getaddresses([to])
        modern = parse(path)["To"].addresses
        assert len(modern) == 1 and modern[0].addr_spec == legacy[1]
        received[legacy[1]] = str(make_header(decode_header(to.rsplit("<", 1)[0].strip())))
    assert received == dict(zip(addresses, attacks, strict=True))  # each name shown as stored, to its owner


def test_the_date_header_is_the_time_of_sending(news: Path, smtp: Path, cli: Cli) -> None:
    """Not the issue's date (2025-11-20): a late send must not land among old mail."""
    add_subscribers(news, ["a@example.org", "b@example.org"])
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert cli("send", "sample-issue").exit_code == 0
    after = dt.datetime.now(dt.UTC)
    dates = [parse(p)["Date"].datetime for p in stored_messages(smtp)]
    assert len(dates) == 2 and all(before <= d <= after for d in dates)


def test_second_send_of_a_finished_issue_sends_nothing(news: Path, smtp: Path, cli: Cli) -> None:
    add_subscribers(news, ["a@example.org", "b@example.org"])
    assert cli("send", "sample-issue").exit_code == 0
    again = cli("send", "issues/2025-11-20-sample-issue.md")
    assert again.exit_code == 0
    assert "already sent (2 sent" in again.stdout and "nothing to do" in again.stdout
    assert len(stored_messages(smtp)) == 2


def test_send_reads_the_built_issue_never_its_source(news: Path, cli: Cli) -> None:
    add_subscribers(news, ["a@example.org"])
    source = news / "issues" / "2025-11-20-sample-issue.md"
    broken = DATA.parent / "bad-issues" / "2025-01-01-no-title.md"
    source.write_bytes(broken.read_bytes())  # edited since the build: what was built goes out
    for ref in ("sample-issue", "issues/2025-11-20-sample-issue.md"):
        result = cli("send", ref, "--dry-run")
        assert result.exit_code == 0 and "would send 1 messages" in result.stdout, result.output


def test_a_source_that_was_never_built_is_named(news: Path, cli: Cli) -> None:
    (news / "issues" / "2025-12-01-new.md").write_bytes(
        (news / "issues" / "2025-11-20-sample-issue.md").read_bytes()
    )
    result = cli("send", "issues/2025-12-01-new.md")
    assert result.exit_code == 1
    assert (
        "issues/2025-12-01-new.md: is not built into" in result.stderr
        and "run `newsletter build`" in result.stderr
    )


def test_limit_then_resume(news: Path, smtp: Path, cli: Cli) -> None:
    add_subscribers(news, [f"r{i}@example.org" for i in range(10)])
    first = cli("send", "sample-issue", "--limit", "4")
    assert first.exit_code == 0 and "sent 4" in first.stdout and "still queued 6" in first.stdout
    add_subscribers(news, ["late@example.org"])  # joined after the issue went out: not added
    second = cli("send", "sample-issue")
    assert "sent 6" in second.stdout and "sent before 4" in second.stdout
    assert len(stored_messages(smtp)) == 10


def test_unsubscribed_while_queued_is_skipped(news: Path, smtp: Path, cli: Cli) -> None:
    add_subscribers(news, ["a@example.org", "b@example.org", "c@example.org"])
    cli("send", "sample-issue", "--limit", "1")
    cli("subscribers", "remove", "c@example.org")
    result = cli("send", "sample-issue")
    assert "sent 1" in result.stdout and "skipped 1" in result.stdout
    assert ledger(news, "SELECT address, status FROM deliveries WHERE status = 'skipped'") == [
        ("c@example.org", "skipped")
    ]


def test_dry_run_renders_and_counts_only(news: Path, smtp: Path, cli: Cli) -> None:
    add_subscribers(news, ["a@example.org", "b@example.org"])
    result = cli("send", "sample-issue", "--dry-run")
    assert result.exit_code == 0 and "would send 2 messages" in result.stdout
    assert stored_messages(smtp) == []
    assert ledger(news, "SELECT count(*) FROM deliveries") == [(0,)]


def test_test_send_is_one_unrecorded_copy(news: Path, smtp: Path, cli: Cli) -> None:
    add_subscribers(news, ["a@example.org"])
    result = cli("send", "sample-issue", "--test", "editor@example.org")
    assert result.exit_code == 0, result.output
    (only,) = stored_messages(smtp)
    m = parse(only)
    assert m["Subject"].startswith("[TEST] Kasachstan") and m["To"] == "editor@example.org"
    assert ledger(news, "SELECT count(*) FROM deliveries") == [(0,)]


def test_outbox_is_the_default_transport(news: Path, cli: Cli) -> None:
    add_subscribers(news, ["a@example.org", "b@example.org"])
    result = cli("send", "sample-issue")
    assert result.exit_code == 0 and "via outbox" in result.stdout
    files = sorted((news / "state" / "outbox" / "new").glob("*.eml"))
    assert len(files) == 2 and not list((news / "state" / "outbox" / "tmp").iterdir())
    assert {parse(f)["To"] for f in files} == {"a@example.org", "b@example.org"}


def test_outbox_resend_overwrites_instead_of_duplicating(news: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both sends in the same second (the Date header is the time of sending): the same message.
    sent_at = date_header(dt.datetime(2026, 12, 6, 22, 0, tzinfo=dt.UTC))
    monkeypatch.setattr(Personalizer, "_date", lambda self: sent_at)
    config = load_config(news / "newsletter.toml")
    issue = find_issue(config, "sample-issue", news / "public")
    html, text = built_email(news / "public", issue)
    add_subscribers(news, ["a@example.org"])
    outbox = OutboxTransport(news / "state" / "outbox")
    send_issue(config, issue, html=html, text=text, secret=SECRET, transport=outbox)
    query(news, "UPDATE deliveries SET status = 'sending'")  # as if killed before "sent"
    report = send_issue(config, issue, html=html, text=text, secret=SECRET, transport=outbox)
    assert (report.in_flight_at_start, report.sent) == (1, 1)
    assert len(list((news / "state" / "outbox" / "new").iterdir())) == 1


def test_unreachable_server_stops_with_one_error_and_loses_nothing(news: Path, cli: Cli) -> None:
    from .smtp_servers import free_port

    add_subscribers(news, ["a@example.org", "b@example.org"])
    url = f"smtp://127.0.0.1:{free_port()}"
    result = cli("send", "sample-issue", "--retry-delay", "0.01", env={"NEWSLETTER_SMTP_URL": url})
    assert result.exit_code == 1
    assert "cannot connect to smtp://127.0.0.1" in result.stderr and "Nothing is lost" in result.stderr
    assert ledger(news, "SELECT count(*) FROM deliveries WHERE status = 'sent'") == [(0,)]


def test_a_closed_port_fails_at_once_naming_host_and_port(news: Path, cli: Cli) -> None:
    """A server never reached in this run is a wrong address, not a busy server: no back-off."""
    from .smtp_servers import free_port

    add_subscribers(news, ["a@example.org"])
    port = free_port()
    result = cli("send", "sample-issue", env={"NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    assert result.exit_code == 1
    assert f"cannot connect to smtp://127.0.0.1:{port}" in result.stderr
    assert "check NEWSLETTER_SMTP_URL (host and port)" in result.stderr and "gave up" not in result.stderr
    assert ledger(news, "SELECT count(*) FROM deliveries WHERE status = 'sent'") == [(0,)]


def test_a_silent_server_fails_after_the_connect_timeout(news: Path) -> None:
    """A server that takes the connection but never greets is given `[delivery] connect_timeout`."""
    import socket

    config = load_config(DATA / "connect-timeout.toml")
    assert config.delivery.connect_timeout == 0.5
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        settings = SmtpSettings("127.0.0.1", port, implicit_tls=False, connect_timeout=0.5)
        with pytest.raises(ConnectFailure, match=f"cannot connect to smtp://127.0.0.1:{port}"):
            SmtpTransport(settings).open()


def test_password_is_never_shown(news: Path, cli: Cli) -> None:
    from .smtp_servers import free_port

    add_subscribers(news, ["a@example.org"])
    url = f"smtp://mailer:hunter2-very-secret@127.0.0.1:{free_port()}"
    result = cli("send", "sample-issue", "--retry-delay", "0.01", env={"NEWSLETTER_SMTP_URL": url})
    assert result.exit_code == 1
    assert "smtp://mailer@127.0.0.1" in result.stderr
    assert "hunter2" not in result.output + result.stderr


def test_starttls_is_required_off_loopback(news: Path, smtp: Path) -> None:
    """A server that offers no STARTTLS (ours) is refused unless it is on loopback."""

    class RemoteLooking(SmtpSettings):
        @property
        def loopback(self) -> bool:
            return False

    import os

    port = int(os.environ["NEWSLETTER_SMTP_URL"].rsplit(":", 1)[1])
    with pytest.raises(TransportFatal, match="does not offer STARTTLS; refusing to send in clear text"):
        SmtpTransport(RemoteLooking("127.0.0.1", port, implicit_tls=False)).open()
    SmtpTransport(SmtpSettings("127.0.0.1", port, implicit_tls=False)).open().close()


# --- bad input: one line, exit 1 -------------------------------------------------------------


@pytest.mark.parametrize(
    "setup, args, message",
    [
        ("unbuilt", ("sample-issue",), "is not built (email.html is missing); run `newsletter build` first"),
        ("no-secret", ("sample-issue",), "NEWSLETTER_SECRET is not set"),
        ("none", ("no-such-issue",), "no issue with slug 'no-such-issue'"),
        ("none", ("issues/missing.md",), "issues/missing.md: no such issue file"),
        ("injection", ("subject-injection",), "the subject contains a line break"),
        ("none", ("sample-issue", "--test", "not-an-address"), "invalid address 'not-an-address'"),
        ("bad-url", ("sample-issue",), "NEWSLETTER_SMTP_URL must look like smtp://host:587"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    news: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, setup: str, args: tuple[str, ...], message: str
) -> None:
    add_subscribers(news, ["a@example.org"])
    if setup == "unbuilt":
        (news / "public" / "issues" / "sample-issue" / "email.html").unlink()
    elif setup == "no-secret":
        monkeypatch.delenv("NEWSLETTER_SECRET")
    elif setup == "injection":
        # an issue.json that says more than the build would: the sender refuses the header itself
        target = news / "public" / "issues" / "subject-injection"
        shutil.copytree(DATA / "hostile" / "subject-injection", target)
        for f in ("email.html", "email.txt"):
            (target / f).write_bytes((news / "public" / "issues" / "sample-issue" / f).read_bytes())
    elif setup == "bad-url":
        monkeypatch.setenv("NEWSLETTER_SMTP_URL", "http://mail.example.org")
    result = cli("send", *args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert ledger(news, "SELECT count(*) FROM deliveries WHERE status = 'sent'") == [(0,)]


def test_missing_secret_still_allows_a_dry_run(news: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET")
    add_subscribers(news, ["a@example.org"])
    result = cli("send", "sample-issue", "--dry-run")
    assert result.exit_code == 0 and "would send 1" in result.stdout
    assert "NEWSLETTER_SECRET is not set" in result.stderr


def test_pacing_limits_the_rate(news: Path) -> None:
    config = load_config(news / "newsletter.toml")
    issue = find_issue(config, "sample-issue", news / "public")
    html, text = built_email(news / "public", issue)
    add_subscribers(news, [f"r{i}@example.org" for i in range(6)])
    report = send_issue(
        config, issue, html=html, text=text, secret=SECRET,
        transport=OutboxTransport(news / "state" / "outbox"),
        options=SendOptions(rate_per_second=20),
    )  # fmt: skip
    assert report.sent == 6 and report.duration >= 5 / 20


def test_unknown_issue_lists_known_slugs(news: Path) -> None:
    config = load_config(news / "newsletter.toml")
    with pytest.raises(NewsletterError, match=r"\(newest: sample-issue\)"):
        find_issue(config, "other", news / "public")


@pytest.mark.parametrize("ref", ["sample", "sampel-issue"])
def test_a_prefix_or_typo_of_a_slug_gets_did_you_mean(news: Path, ref: str) -> None:
    config = load_config(news / "newsletter.toml")
    with pytest.raises(
        NewsletterError, match=rf"no issue with slug '{ref}' in .*public/; did you mean sample-issue\?"
    ):
        find_issue(config, ref, news / "public")


def test_the_help_example_names_an_issue_that_exists() -> None:
    from conftest import ROOT

    from newsletter.cli.send import send_command

    example = (send_command.help or "").split("Example: newsletter send ", 1)[1].split()[0]
    from newsletter.sources.markdown import read_issues

    assert example in [issue.slug for issue in read_issues(ROOT / "issues")]


def test_progress_lines_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from newsletter.cli.progress import LineProgress
    from newsletter.delivery.send import SendReport

    progress = LineProgress(interval=0)
    progress(SendReport("tag:x", "sample-issue", planned=10, sent=4, failed_temporary=1, duration=2.0))
    assert capsys.readouterr().err == "sample-issue: 5/10 done, sent 4, failed 1, retrying 0, 2/s\n"
