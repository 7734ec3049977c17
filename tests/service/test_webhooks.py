"""POST /webhooks/ses: SNS messages signed with a throwaway certificate served on loopback;
forged, unsigned and foreign ones refused with 403 and logged; events suppress addresses."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from flask import Flask
from sqlalchemy import text

from newsletter.service.sns import TEST_HOST_ENV, SnsVerifier

from .conftest import rows, subscribers

TOPIC = "arn:aws:sns:eu-west-1:123456789012:newsletter-ses-events"
SES = Path(__file__).resolve().parents[1] / "data" / "ses"
# What SNS signs (its documentation), written out here independently of newsletter/service/sns.py.
SIGNED = {
    "Notification": "Message MessageId Subject Timestamp TopicArn Type",
    "SubscriptionConfirmation": "Message MessageId SubscribeURL Timestamp Token TopicArn Type",
}


@dataclass
class FakeSnsHost:
    """A loopback HTTP server playing sns.<region>.amazonaws.com: serves the certificate, counts
    certificate fetches and subscription confirmations."""

    netloc: str
    key: rsa.RSAPrivateKey
    hits: list[str] = field(default_factory=list)

    @property
    def cert_url(self) -> str:
        return f"http://{self.netloc}/SimpleNotificationService-test.pem"

    def sign(self, message: dict[str, str], version: str = "1") -> dict[str, str]:
        message = {**message, "SignatureVersion": version, "SigningCertURL": self.cert_url}
        text = "".join(
            f"{k}\n{message[k]}\n" for k in SIGNED[message["Type"]].split() if k in message
        ).encode()
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()
        message["Signature"] = base64.b64encode(self.key.sign(text, padding.PKCS1v15(), digest)).decode()
        return message


def _certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.eu-west-1.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256())
    )  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def sns_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSnsHost]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = _certificate(key)
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            hits.append(self.path)
            body = pem if self.path.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    netloc = f"127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv(TEST_HOST_ENV, netloc)
    try:
        yield FakeSnsHost(netloc, key, hits)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hook(make_app: Callable[..., Flask], news: Path, sns_host: FakeSnsHost) -> Callable[..., Any]:
    """POST a message (a dict, or raw bytes) to /webhooks/ses of a service that takes TOPIC."""
    app = make_app(sns_topics=[TOPIC])
    subs = subscribers(news)
    for address in ("ana@example.org", "gone@example.org", "angry@example.org"):
        subs.add(address)
    subs.close()
    client = app.test_client()

    def post(message: dict[str, str] | bytes) -> Any:
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        return client.post("/webhooks/ses", data=body, content_type="text/plain; charset=UTF-8")

    return post


def notification(fixture: str, message_id: str = "a1b2c3d4-0000-0000-0000-000000000001") -> dict[str, str]:
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": TOPIC,
        "Message": (SES / fixture).read_text(),
        "Timestamp": "2025-11-20T09:15:03.000Z",
    }


def test_a_signed_bounce_suppresses_the_address_once(
    hook: Callable[..., Any], news: Path, sns_host: FakeSnsHost
) -> None:
    r = hook(sns_host.sign(notification("bounce-permanent.json")))
    assert r.status_code == 200 and r.get_json() == {"status": "recorded", "events": 1}
    assert rows(news)["gone@example.org"] == "bounced" and rows(news)["ana@example.org"] == "active"
    again = hook(sns_host.sign(notification("bounce-permanent.json")))  # SNS delivers twice sometimes
    assert again.status_code == 200
    subs = subscribers(news)
    try:
        evidence = subs.db.execute(
            text("SELECT kind, severity, status_code, diagnostic, source FROM feedback")
        ).all()
    finally:
        subs.close()
    assert evidence == [
        ("bounce", "hard", "5.1.1", "Permanent/General smtp; 550 5.1.1 user unknown",
         "Amazon SES message 0102018c00000000-11111111-2222-3333-4444-555555555555-000000"),
    ]  # fmt: skip
    assert sum(1 for h in sns_host.hits if h.endswith(".pem")) == 1  # the certificate is kept


def test_signature_version_2_complaint_and_a_delivery(
    hook: Callable[..., Any], news: Path, sns_host: FakeSnsHost
) -> None:
    assert hook(sns_host.sign(notification("complaint-abuse.json", "m-2"), version="2")).status_code == 200
    assert hook(sns_host.sign(notification("delivery.json", "m-3"), version="2")).status_code == 200
    assert rows(news)["angry@example.org"] == "complained" and rows(news)["ana@example.org"] == "active"


def test_a_subscription_is_confirmed_by_fetching_its_url(
    hook: Callable[..., Any], sns_host: FakeSnsHost
) -> None:
    confirm = f"http://{sns_host.netloc}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=t0k3n"
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "m-4",
        "Token": "t0k3n",
        "TopicArn": TOPIC,
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": confirm,
        "Timestamp": "2025-11-20T09:00:00.000Z",
    }
    r = hook(sns_host.sign(message))
    assert r.status_code == 200 and r.get_json() == {"status": "subscribed"}
    assert any("Action=ConfirmSubscription" in h for h in sns_host.hits)


def _forgeries(host: FakeSnsHost) -> dict[str, dict[str, str] | bytes]:
    good = host.sign(notification("bounce-permanent.json"))
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "changed after signing": {**good, "Message": good["Message"].replace("gone@", "ana@")},
        "unsigned": {k: v for k, v in good.items() if k not in ("Signature", "SignatureVersion")},
        "signed by another key": FakeSnsHost(host.netloc, other_key).sign(
            notification("bounce-permanent.json")
        ),
        "certificate elsewhere": {
            **good,
            "SigningCertURL": "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem",
        },
        "certificate over http": {**good, "SigningCertURL": "http://sns.eu-west-1.amazonaws.com/x.pem"},
        "another region": {**good, "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem"},
        "another topic": host.sign({**notification("bounce-permanent.json"), "TopicArn": TOPIC + "-other"}),
        "not json": b"<xml/>",
        "signature not base64": {**good, "Signature": "***"},
    }


def test_forged_unsigned_and_foreign_messages_are_refused_and_logged(
    hook: Callable[..., Any], news: Path, sns_host: FakeSnsHost, caplog: pytest.LogCaptureFixture
) -> None:
    for what, message in _forgeries(sns_host).items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="newsletter.service.webhooks"):
            r = hook(message)
        assert r.status_code == 403, what
        (record,) = caplog.records
        assert "refused a POST to /webhooks/ses" in record.getMessage(), what
        if isinstance(message, dict) and "Signature" in message:
            assert message["Signature"] not in record.getMessage()
    assert rows(news)["ana@example.org"] == "active" and rows(news)["gone@example.org"] == "active"


def test_a_subscribe_url_off_the_sns_host_is_not_fetched(
    hook: Callable[..., Any], sns_host: FakeSnsHost
) -> None:
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "m-5",
        "Token": "t",
        "TopicArn": TOPIC,
        "Message": "subscribe",
        "SubscribeURL": "https://collector.example/confirm",
        "Timestamp": "2025-11-20T09:00:00.000Z",
    }
    assert hook(sns_host.sign(message)).status_code == 403


def test_certificate_urls_must_be_the_topic_regions_sns_host() -> None:
    v = SnsVerifier(frozenset({TOPIC}))
    assert v.allowed_url("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem", "eu-west-1")
    assert not v.allowed_url("https://sns.eu-west-1.amazonaws.com/x.pem", "us-east-1")
    assert not v.allowed_url("https://user@sns.eu-west-1.amazonaws.com/x.pem", "eu-west-1")
    assert not v.allowed_url("http://127.0.0.1:8000/x.pem", "eu-west-1")
    with pytest.raises(ValueError, match="loopback"):
        SnsVerifier(frozenset(), test_host="sns.example.org:443")


def test_without_configured_topics_every_message_is_refused(
    make_app: Callable[..., Flask], sns_host: FakeSnsHost
) -> None:
    client = make_app().test_client()
    r = client.post("/webhooks/ses", data=json.dumps(sns_host.sign(notification("delivery.json"))))
    assert r.status_code == 403


def test_a_null_subject_and_message_attributes_do_not_spoil_a_signed_message(
    hook: Callable[..., Any], news: Path, sns_host: FakeSnsHost
) -> None:
    signed = sns_host.sign(notification("bounce-permanent.json", "m-6"))
    extra = {"Subject": None, "MessageAttributes": {"kind": {"Type": "String", "Value": "bounce"}}}
    assert hook({**signed, **extra}).status_code == 200
    assert rows(news)["gone@example.org"] == "bounced"
