"""Amazon SNS messages posted over HTTP(S): nothing in one is believed before its signature is.

SNS signs each message with the key of a certificate it serves from its own host,
`https://sns.<region>.amazonaws.com/…pem`. A message is accepted only when

- its topic is one of `[service] sns_topics` (anyone can create an SNS topic and have SNS sign
  what it publishes: the signature alone proves SNS, not our topic);
- its `SigningCertURL` is https on the SNS host of that topic's region (or, for the tests only,
  on the loopback host that NEWSLETTER_TEST_SNS_HOST names);
- its signature (SignatureVersion 1: SHA1, 2: SHA256, RSA PKCS#1 v1.5) verifies over the
  fields SNS signs, with the certificate's key. Certificates are fetched with a timeout and kept.

A SubscriptionConfirmation is confirmed by fetching its SubscribeURL, under the same host rule.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TEST_HOST_ENV = "NEWSLETTER_TEST_SNS_HOST"
TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
# The fields SNS signs, in this order, each as "Name\nvalue\n" (Subject only when present).
_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION,
    "UnsubscribeConfirmation": _CONFIRMATION,
}
_ENVELOPE = ("Subject", "Signature", "SignatureVersion", "SigningCertURL")
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERTIFICATES = 16
MAX_CERTIFICATE_BYTES = 64 * 1024


class SnsRefused(Exception):
    """The message is not believed; the reason is safe to log (no secrets, no message body)."""


@dataclass(frozen=True)
class SnsMessage:
    type: str
    message_id: str
    topic_arn: str
    message: str
    subscribe_url: str = ""


def topic_region(arn: str) -> str:
    """The region of `arn:aws:sns:REGION:ACCOUNT:NAME`, or "" when it is not such an ARN."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"] or not parts[3] or not parts[5]:
        return ""
    return parts[3]


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SnsVerifier:
    """Checks SNS messages for the configured topics; certificates cached across requests."""

    def __init__(self, topics: frozenset[str], *, test_host: str = "", timeout: float = 10.0):
        self.topics = topics
        self.test_host = test_host
        if test_host and not _loopback(urlsplit(f"//{test_host}").hostname or ""):
            raise ValueError(f"{TEST_HOST_ENV} must name a loopback host:port, not {test_host!r}")
        self.timeout = timeout
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._lock = threading.Lock()

    def allowed_url(self, url: str, region: str) -> bool:
        """https on sns.<region>.amazonaws.com, or any scheme on the loopback test host."""
        try:
            parts = urlsplit(url)
            netloc = parts.netloc
        except ValueError:
            return False
        if self.test_host and netloc == self.test_host and parts.scheme in ("http", "https"):
            return True
        return parts.scheme == "https" and netloc == f"sns.{region}.amazonaws.com" and not parts.username

    def verify(self, body: bytes) -> SnsMessage:
        """The message in `body`, if SNS signed it for one of our topics; else SnsRefused."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise SnsRefused("the body is not JSON") from None
        if not isinstance(data, dict):
            raise SnsRefused("the body is not an SNS message")
        # What is read or signed must be text; absent or null means left out (Subject, often).
        data = {k: v for k, v in data.items() if v is not None}
        if not all(isinstance(data.get(k, ""), str) for k in (*_CONFIRMATION, *_ENVELOPE)):
            raise SnsRefused("the body is not an SNS message")
        kind, topic = data.get("Type", ""), data.get("TopicArn", "")
        if kind not in TYPES:
            raise SnsRefused(f"unknown message type {kind[:40]!r}")
        if topic not in self.topics:
            raise SnsRefused(f"topic {topic[:200]!r} is not in [service] sns_topics")
        if not data.get("Signature") or data.get("SignatureVersion") not in _HASHES:
            raise SnsRefused("unsigned, or an unknown SignatureVersion")
        cert_url = data.get("SigningCertURL", "")
        if not self.allowed_url(cert_url, topic_region(topic)) or not urlsplit(cert_url).path.endswith(
            ".pem"
        ):
            raise SnsRefused(
                f"the signing certificate URL {cert_url[:200]!r} is not an SNS host of the topic's region"
            )
        try:
            signature = base64.b64decode(data["Signature"], validate=True)
        except (binascii.Error, ValueError):
            raise SnsRefused("the signature is not base64") from None
        signed = "".join(f"{k}\n{data[k]}\n" for k in _SIGNED[kind] if k in data).encode()
        try:
            self._key(cert_url).verify(
                signature, signed, padding.PKCS1v15(), _HASHES[data["SignatureVersion"]]()
            )
        except InvalidSignature:
            raise SnsRefused("the signature does not verify") from None
        return SnsMessage(
            kind, data.get("MessageId", ""), topic, data.get("Message", ""), data.get("SubscribeURL", "")
        )

    def confirm(self, message: SnsMessage) -> None:
        """Confirm a subscription: GET its SubscribeURL (an SNS host of the topic's region)."""
        if not self.allowed_url(message.subscribe_url, topic_region(message.topic_arn)):
            raise SnsRefused("the SubscribeURL is not an SNS host of the topic's region")
        try:
            with urllib.request.urlopen(message.subscribe_url, timeout=self.timeout) as r:
                r.read(MAX_CERTIFICATE_BYTES)
        except OSError as e:
            raise SnsRefused(f"confirming the subscription failed: {type(e).__name__}") from None

    def _key(self, url: str) -> rsa.RSAPublicKey:
        with self._lock:
            key = self._keys.get(url)
        if key is not None:
            return key
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as r:
                pem = r.read(MAX_CERTIFICATE_BYTES + 1)
            if len(pem) > MAX_CERTIFICATE_BYTES:
                raise SnsRefused("the signing certificate is too large")
            public: Any = x509.load_pem_x509_certificate(pem).public_key()
        except OSError as e:
            raise SnsRefused(f"cannot fetch the signing certificate: {type(e).__name__}") from None
        except ValueError:
            raise SnsRefused("the signing certificate is not a PEM certificate") from None
        if not isinstance(public, rsa.RSAPublicKey):
            raise SnsRefused("the signing certificate has no RSA key")
        with self._lock:
            if len(self._keys) >= MAX_CERTIFICATES:
                self._keys.pop(next(iter(self._keys)))
            self._keys[url] = public
        return public
