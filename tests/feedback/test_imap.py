"""`newsletter bounces imaps://…` against a real IMAP server: Debian's dovecot on loopback."""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import require
from delivery.smtp_servers import free_port

from .conftest import BOUNCES, feedback, statuses
from .imap_server import PASSWORD, USER, ImapServer, dovecot_available, imap_server

Cli = Callable[..., Result]


@pytest.fixture
def imap(monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapServer]:
    require(dovecot_available(), "dovecot (dovecot-imapd, installed by .ci/run)")
    with imap_server() as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cafile))  # trust the self-signed certificate
        monkeypatch.setenv("NEWSLETTER_IMAP_PASSWORD", PASSWORD)
        yield server


def _deliver(server: ImapServer, *names: str) -> None:
    with imaplib.IMAP4_SSL("127.0.0.1", server.port, ssl_context=ssl.create_default_context()) as m:
        m.login(USER, PASSWORD)
        for name in names:
            m.append("INBOX", None, None, (BOUNCES / name).read_bytes().replace(b"\n", b"\r\n"))


def _unseen(server: ImapServer) -> int:
    with imaplib.IMAP4_SSL("127.0.0.1", server.port, ssl_context=ssl.create_default_context()) as m:
        m.login(USER, PASSWORD)
        m.select("INBOX")
        return len(m.uid("SEARCH", "UNSEEN")[1][0].split())


def test_reads_an_imap_folder_and_flags_what_it_processed(sent: Path, imap: ImapServer, cli: Cli) -> None:
    _deliver(imap, "postfix-user-unknown.eml", "vacation-auto-reply.eml", "arf-redacted-recipient.eml")
    result = cli("bounces", imap.url())
    assert result.exit_code == 0, result.output
    assert "3 message(s), 2 suppressed, 1 unreadable (left in the mailbox)" in result.stdout
    assert statuses(sent)["gone@example.net"] == "bounced"
    assert statuses(sent)["fan@example.com"] == "complained"
    assert _unseen(imap) == 1  # the out-of-office reply waits for a person
    before = feedback(sent)
    again = cli("bounces", imap.url())
    assert "1 message(s), 1 unreadable" in again.stdout and feedback(sent) == before


def test_wrong_password_is_one_line(sent: Path, imap: ImapServer, cli: Cli) -> None:
    result = cli("bounces", imap.url(), env={"NEWSLETTER_IMAP_PASSWORD": "wrong"})
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: the IMAP server refused imaps://{USER}@127.0.0.1:{imap.port}/INBOX"
    )
    assert result.stderr.count("\n") == 1 and "wrong" not in result.stderr


def test_unreachable_imap_server_is_one_line_and_changes_nothing(sent: Path, cli: Cli) -> None:
    port = free_port()
    result = cli("bounces", f"imaps://{USER}@127.0.0.1:{port}/INBOX", env={"NEWSLETTER_IMAP_PASSWORD": "x"})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot reach the IMAP server 127.0.0.1:{port}: ")
    assert result.stderr.endswith("; nothing was read\n") and result.stderr.count("\n") == 1
    assert set(statuses(sent).values()) == {"active"}


def test_imap_password_only_from_the_environment(sent: Path, cli: Cli) -> None:
    missing = cli("bounces", "imaps://bounces@127.0.0.1/INBOX", env={"NEWSLETTER_IMAP_PASSWORD": ""})
    assert missing.stderr == (
        "error: NEWSLETTER_IMAP_PASSWORD is not set; set it to the password of bounces@127.0.0.1\n"
    )
    inline = cli("bounces", "imaps://bounces:secret@127.0.0.1/INBOX")
    assert (
        inline.stderr.startswith("error: put no password in the mailbox address")
        and "secret" not in inline.stderr
    )
