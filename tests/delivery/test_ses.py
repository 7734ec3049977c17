"""`newsletter send` through Amazon SES v2, against aws-ses-v2-local (and a proxy in front of it
that records raw messages and, when asked, answers like SES under load or over quota)."""

from __future__ import annotations

import email
import re
from collections import Counter
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path

import dkim
import pytest
from click.testing import Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from newsletter.config import load_config
from newsletter.defaults import for_delivery
from newsletter.delivery.personalize import Personalizer
from newsletter.delivery.send import SendOptions, find_issue, send_issue
from newsletter.delivery.ses import SesTransport, tag_value
from newsletter.delivery.signing import signer_for
from newsletter.delivery.tokens import verify_token
from newsletter.delivery.transports import transport_from_config
from newsletter.errors import NewsletterError
from newsletter.outputs.built import built_email
from newsletter.outputs.message import envelope_for
from newsletter.outputs.mime import MessageTemplate
from tests.state import query

from .conftest import SECRET, add_subscribers
from .ses_servers import (
    SesFaults,
    account,
    aws_env,
    emulator_store,
    recorded_requests,
    ses_emulator,
    ses_proxy,
)
from .smtp_servers import free_port, stored_messages

Cli = Callable[..., Result]


@pytest.fixture
def emulator() -> Iterator[str]:
    with ses_emulator() as url:
        yield url


def _point_at(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    for k, v in aws_env(endpoint).items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("NEWSLETTER_TRANSPORT", "ses")


def _ledger(root: Path, sql: str) -> list[tuple]:
    return query(root, sql)


def _send(news: Path, transport: SesTransport, **options: object) -> int:
    config = load_config(news / "newsletter.toml")
    issue = find_issue(config, "sample-issue", news / "public")
    html, text = built_email(news / "public", issue)
    opts = SendOptions.from_config(config, retry_base_delay=0.01, **options)
    return send_issue(
        config, issue, html=html, text=text, secret=SECRET, transport=transport, options=opts
    ).sent


def test_two_thousand_subscribers_get_one_message_each_and_a_rerun_sends_nothing(
    news: Path, tmp_path: Path, emulator: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = [f"reader{i:04d}@example.org" for i in range(2000)]
    add_subscribers(news, addresses)
    store = tmp_path / "raw"
    with ses_proxy(emulator, store) as proxy:
        _point_at(monkeypatch, proxy)
        result = cli("send", "sample-issue", "--connections", "8")
        assert result.exit_code == 0, result.output
        assert "sent 2000, failed 0" in result.stdout and "via Amazon SES eu-west-1 at http" in result.stdout
        again = cli("send", "sample-issue")
        assert again.exit_code == 0 and "nothing to do" in again.stdout
    accepted = emulator_store(emulator)
    assert Counter(a for m in accepted for a in m["destination"]["to"]) == Counter(addresses)
    raw = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in stored_messages(store)]
    assert len(raw) == 2000
    for m in raw:
        address = m["To"].addresses[0].addr_spec
        token = m["List-Unsubscribe"].split("<https://news.example.org/unsubscribe/", 1)[1].split(">")[0]
        assert verify_token(SECRET, token) == address
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert m["List-Id"] == "Testpost <testpost.example.org>"
    # The ledger keeps SES's message id of each recipient's message (as the proxy answered it:
    # the emulator's random ids can repeat among 2,000, SES's do not).
    ids = {i: r["Destination"]["ToAddresses"][0] for i, r in recorded_requests(store).items()}
    rows = _ledger(news, "SELECT address, message_id FROM deliveries WHERE status = 'sent'")
    assert len(rows) == 2000 == len(ids)
    assert all(ids[message_id] == address for address, message_id in rows)


def _undated(message: bytes) -> bytes:
    """A message without its Date line: each is dated the second it is sent, not rendered."""
    return re.sub(rb"^Date: .*\r\n", b"", message, count=1, flags=re.MULTILINE)


def test_each_message_is_the_smtp_paths_bytes_with_tags_and_configuration_set(
    news: Path, tmp_path: Path, emulator: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = news / "newsletter.toml"
    toml.write_text(
        toml.read_text().replace("[delivery]\n", '[delivery]\nses_configuration_set = "news-events"\n')
    )
    add_subscribers(news, ["ana@example.org", "bo@example.org"], name="Leserin {i}")
    store = tmp_path / "raw"
    with ses_proxy(emulator, store) as proxy:
        _point_at(monkeypatch, proxy)
        assert cli("send", "sample-issue").exit_code == 0
    config = load_config(toml)
    issue = find_issue(config, "sample-issue", news / "public")
    html, text = built_email(news / "public", issue)
    personalizer = Personalizer(
        MessageTemplate(
            envelope_for(config, issue),
            html=for_delivery(config, html, html=True),
            text=for_delivery(config, text, html=False),
        ),
        config.site.unsubscribe_url,
        SECRET,
    )
    requests = recorded_requests(store)
    for path in stored_messages(store):
        request = requests[path.stem]
        (address,) = request["Destination"]["ToAddresses"]
        name = f"Leserin {['ana@example.org', 'bo@example.org'].index(address)}"
        # the same bytes the SMTP path sends, but for the Date: the time of sending
        assert _undated(path.read_bytes()) == _undated(personalizer.render(address, name))
        # the envelope sender: with VERP, bounces SES forwards by mail name their recipient too
        assert request["FromEmailAddress"].startswith("newsletter+")
        assert request["FromEmailAddress"].endswith("@example.org")
        assert request["ConfigurationSetName"] == "news-events"
        assert request["EmailTags"] == [
            {"Name": "newsletter-issue", "Value": tag_value(issue.id)},
            {"Name": "newsletter-edition", "Value": "de"},
        ]


def test_dkim_signature_survives_the_trip(
    news: Path, tmp_path: Path, emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    toml = news / "newsletter.toml"
    toml.write_text(
        toml.read_text().replace(
            "[email]\n",
            f'[email]\ndkim_key_file = "{key_file}"\ndkim_selector = "s1"\ndkim_domain = "example.org"\n',
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64

    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    add_subscribers(news, ["ana@example.org"])
    store = tmp_path / "raw"
    with ses_proxy(emulator, store) as proxy:
        _point_at(monkeypatch, proxy)
        assert signer_for(load_config(toml)) is not None
        assert _send(news, SesTransport()) == 1
    (path,) = stored_messages(store)
    assert path.read_bytes().startswith(b"DKIM-Signature: ")
    assert dkim.verify(path.read_bytes(), dnsfunc=lambda name, timeout=5: record)


def test_throttling_and_5xx_are_retried_and_everyone_is_delivered(
    news: Path, tmp_path: Path, emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = [f"reader{i:03d}@example.org" for i in range(500)]
    add_subscribers(news, addresses)
    faults = SesFaults(busy=0.3, busy_attempts=4)  # some need a fourth try: one run-level retry
    with ses_proxy(emulator, tmp_path / "raw", faults) as proxy:
        _point_at(monkeypatch, proxy)
        transport = SesTransport(retries=2, retry_base_delay=0.002, retry_max_delay=0.01)
        assert _send(news, transport) == 500
    accepted = emulator_store(emulator)
    assert Counter(a for m in accepted for a in m["destination"]["to"]) == Counter(addresses)
    assert _ledger(news, "SELECT status, count(*) FROM deliveries GROUP BY status") == [("sent", 500)]
    retried = _ledger(news, "SELECT count(*) FROM deliveries WHERE attempts > 1")[0][0]
    assert retried > 0  # some needed the run's own retry, beyond the session's backoff


def test_dropped_connections_are_retried_and_everyone_is_delivered(
    news: Path, tmp_path: Path, emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = [f"reader{i:03d}@example.org" for i in range(100)]
    add_subscribers(news, addresses)
    with ses_proxy(emulator, tmp_path / "raw", SesFaults(drop_every=7)) as proxy:
        _point_at(monkeypatch, proxy)
        assert _send(news, SesTransport()) == 100
    assert Counter(a for m in emulator_store(emulator) for a in m["destination"]["to"]) == Counter(addresses)
    assert _ledger(news, "SELECT count(*) FROM deliveries WHERE attempts > 1")[0][0] >= 10  # one in 7 dropped


def test_a_rejected_address_fails_permanently_in_ses_words(
    news: Path, tmp_path: Path, emulator: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(news, ["ana@example.org", "gone@example.org", "bo@example.org"])
    with ses_proxy(emulator, tmp_path / "raw", SesFaults(reject=("gone@example.org",))) as proxy:
        _point_at(monkeypatch, proxy)
        result = cli("send", "sample-issue")
    assert result.exit_code == 3, result.output
    assert "sent 2, failed 1 (1 permanent, 0 temporary)" in result.stdout
    assert _ledger(news, "SELECT reply, failure FROM deliveries WHERE address = 'gone@example.org'") == [
        ("MessageRejected: Email address is on the suppression list for your account.", "permanent")
    ]
    assert _ledger(news, "SELECT status FROM subscribers WHERE address = 'gone@example.org'") == [
        ("bounced",)
    ]


def test_the_daily_quota_stops_the_run_cleanly_and_a_rerun_finishes(
    news: Path, tmp_path: Path, emulator: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = [f"reader{i:03d}@example.org" for i in range(100)]
    add_subscribers(news, addresses)
    with ses_proxy(emulator, tmp_path / "raw", SesFaults(daily_quota=30)) as proxy:
        _point_at(monkeypatch, proxy)
        result = cli("send", "sample-issue")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert "daily sending quota is used up" in line and "at the latest after" in line and "UTC" in line
    assert "Traceback" not in result.output
    statuses = dict(_ledger(news, "SELECT status, count(*) FROM deliveries GROUP BY status"))
    assert statuses["sent"] == 30 and "failed" not in statuses
    with ses_proxy(emulator, tmp_path / "raw2") as proxy:  # the next day
        _point_at(monkeypatch, proxy)
        assert cli("send", "sample-issue").exit_code == 0
    received = Counter(a for m in emulator_store(emulator) for a in m["destination"]["to"])
    assert set(received) == set(addresses)
    assert sum(received.values()) - len(addresses) <= 4  # at most the in-flight ones, once each


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((400, "AccountSuspendedException", "Account suspended."), "the SES account is suspended"),
        ((400, "SendingPausedException", "Sending paused."), "sending is paused"),
        (
            (
                400,
                "MessageRejected",
                "Email address is not verified. The following identities failed the check",
            ),
            "verify the sending domain in SES, and leave the sandbox",
        ),
        (
            (403, "UnrecognizedClientException", "The security token is invalid."),
            "does not recognise the access key",
        ),
    ],
)
def test_an_account_problem_stops_the_run_with_everyone_still_queued(
    news: Path, tmp_path: Path, emulator: str, cli: Cli, monkeypatch: pytest.MonkeyPatch,
    answer: tuple[int, str, str], expected: str,
) -> None:  # fmt: skip
    add_subscribers(news, [f"reader{i}@example.org" for i in range(10)])
    with ses_proxy(emulator, tmp_path / "raw", SesFaults(every_send=answer)) as proxy:
        _point_at(monkeypatch, proxy)
        result = cli("send", "sample-issue")
    assert result.exit_code == 1 and expected in result.stderr, result.output
    assert "Traceback" not in result.output
    statuses = dict(_ledger(news, "SELECT status, count(*) FROM deliveries GROUP BY status"))
    assert "failed" not in statuses and "sent" not in statuses  # nobody marked failed or bounced
    assert _ledger(news, "SELECT count(*) FROM subscribers WHERE status = 'active'") == [(10,)]


def test_a_quota_smaller_than_the_list_is_announced(
    news: Path, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(news, [f"reader{i}@example.org" for i in range(20)])
    with ses_emulator(account(max_24_hour_send=50, sent_last_24_hours=40)) as url:
        _point_at(monkeypatch, url)
        result = cli("send", "sample-issue")
    assert "the SES quota allows 10 more messages in the next 24 hours and 20 are queued" in result.stderr


def test_a_quota_the_credentials_may_not_read_paces_by_the_config_only(
    news: Path, tmp_path: Path, emulator: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(news, ["ana@example.org"])
    with ses_proxy(emulator, tmp_path / "raw", SesFaults(deny_get_account=True)) as proxy:
        _point_at(monkeypatch, proxy)
        result = cli("send", "sample-issue")
    assert result.exit_code == 0 and "sent 1, failed 0" in result.stdout
    assert "may not read the SES quota (ses:GetAccount)" in result.stderr


def test_a_quota_used_up_before_the_run_sends_nothing(
    news: Path, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(news, ["ana@example.org"])
    with ses_emulator(account(max_24_hour_send=200, sent_last_24_hours=200)) as url:
        _point_at(monkeypatch, url)
        result = cli("send", "sample-issue")
        assert result.exit_code == 1
        assert "daily sending quota is used up (200 of 200 sent in the last 24 hours)" in result.stderr
        assert emulator_store(url) == []
    assert _ledger(news, "SELECT status FROM deliveries") == [("queued",)]


def test_the_send_rate_follows_max_send_rate(
    news: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(news, [f"reader{i:02d}@example.org" for i in range(41)])
    store = tmp_path / "raw"
    with ses_emulator(account(max_send_rate=20)) as url, ses_proxy(url, store) as proxy:
        _point_at(monkeypatch, proxy)
        assert _send(news, SesTransport()) == 41
    arrivals = sorted(r["at"] for r in recorded_requests(store).values())
    # 20 a second: the 41st message leaves two seconds after the first, however fast the machine
    # (a slow machine only stretches this; the margin is for the first message leaving late)
    assert arrivals[-1] - arrivals[0] >= 1.5


def test_an_unreachable_endpoint_stops_before_sending(
    news: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(news, ["ana@example.org"])
    _point_at(monkeypatch, f"http://127.0.0.1:{free_port()}")
    result = cli("send", "sample-issue")
    assert result.exit_code == 1 and "cannot reach Amazon SES" in result.stderr
    assert _ledger(news, "SELECT status FROM deliveries") == [("queued",)]


def test_missing_credentials_are_one_line(news: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    add_subscribers(news, ["ana@example.org"])
    _point_at(monkeypatch, f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = cli("send", "sample-issue")
    assert result.exit_code == 1
    assert "no AWS credentials for SES: set AWS_ACCESS_KEY_ID" in result.stderr
    assert "newsletter-test-secret" not in result.output


def test_tag_values_keep_only_what_ses_allows() -> None:
    assert tag_value("tag:example.org,2025:kasachstan-abraham") == "tag_example_org_2025_kasachstan-abraham"
    assert tag_value("pt-BR") == "pt-BR"
    assert tag_value("") == "_"
    assert len(tag_value("x" * 300)) == 256


def _undated(message: bytes) -> bytes:
    return re.sub(rb"(?m)^Date: [^\r\n]*\r?\n", b"", message, count=1)


def test_newsletter_transport_variable_chooses_and_is_checked(
    news: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(news / "newsletter.toml")
    monkeypatch.setenv("NEWSLETTER_TRANSPORT", "ses")
    assert transport_from_config(config).name == "ses"
    monkeypatch.setenv("NEWSLETTER_TRANSPORT", "pigeon")
    with pytest.raises(
        NewsletterError, match="NEWSLETTER_TRANSPORT='pigeon' is not one of auto, outbox, smtp, ses"
    ):
        transport_from_config(config)


def test_no_region_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in aws_env("http://127.0.0.1:9").items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(NewsletterError, match="no AWS region for SES: set AWS_DEFAULT_REGION"):
        SesTransport().describe()
