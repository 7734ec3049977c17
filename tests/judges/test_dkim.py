"""DKIM: a built message signed by the delivery code verifies with dkimpy against the test key.

The public key is served by dkimpy's `dnsfunc` hook, so no DNS is asked; a message changed
after signing must fail verification.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from newsletter.delivery.signing import DkimSigner

SELECTOR, DOMAIN = "news2025", "novastan.org"


@pytest.fixture(scope="module")
def key_pair() -> tuple[bytes, bytes]:
    """A fresh 2048-bit RSA key: the private key as PEM, the DNS TXT record of its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def dns(record: bytes) -> Callable[..., bytes]:
    """dkimpy's DNS lookup, answering only for our selector."""

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else b""

    return lookup


def test_a_signed_built_message_verifies(sample_message: bytes, key_pair: tuple[bytes, bytes]) -> None:
    private, record = key_pair
    message = sample_message
    signed = DkimSigner(private, SELECTOR, DOMAIN).sign(message)
    assert signed.startswith(b"DKIM-Signature:") and signed.endswith(message)
    header = signed[: len(signed) - len(message)].decode()
    assert f"d={DOMAIN}" in header and f"s={SELECTOR}" in header
    # one-click unsubscribe headers are covered: no relay may change where "unsubscribe" leads
    assert "list-unsubscribe-post" in header.lower()
    assert dkim.verify(signed, dnsfunc=dns(record))


def test_a_tampered_message_fails(sample_message: bytes, key_pair: tuple[bytes, bytes]) -> None:
    private, record = key_pair
    signed = DkimSigner(private, SELECTOR, DOMAIN).sign(sample_message)
    head, body = signed.split(b"\r\n\r\n", 1)
    body_changed = head + b"\r\n\r\n" + body.replace(b"Novastan", b"N0vastan", 1)
    assert body_changed != signed
    assert not dkim.verify(body_changed, dnsfunc=dns(record))
    subject_changed = signed.replace(b"\r\nSubject: ", b"\r\nSubject: Re: ", 1)
    assert subject_changed != signed
    assert not dkim.verify(subject_changed, dnsfunc=dns(record))


def test_another_key_fails(sample_message: bytes, key_pair: tuple[bytes, bytes]) -> None:
    private, _ = key_pair
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(
        other.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signed = DkimSigner(private, SELECTOR, DOMAIN).sign(sample_message)
    assert not dkim.verify(signed, dnsfunc=dns(record))
