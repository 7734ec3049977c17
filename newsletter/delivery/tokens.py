"""Signed tokens for unsubscribe links: verifiable later by the web service, forgeable by no one.

The format is itsdangerous's URL-safe serializer (HMAC-SHA256 over URL-safe base64 JSON, the
purpose as salt), so the Flask service of issue 4 can verify with either this module or
itsdangerous itself. Unsubscribe tokens carry no timestamp: a link in a years-old issue must
still work, and the same recipient always gets the same token (a resent message is identical).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from collections.abc import Callable

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer

from ..errors import NewsletterError

SECRET_ENV = "NEWSLETTER_SECRET"
_SIGNER = {"digest_method": hashlib.sha256}


class BadToken(NewsletterError):
    """A token that was tampered with, made with another secret or purpose, or has expired."""


def secret_from_env() -> str:
    """The HMAC key from NEWSLETTER_SECRET, or one clear error saying how to set it."""
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        raise NewsletterError(
            f"{SECRET_ENV} is not set; set it to a long random string (e.g. `openssl rand -hex 32`) "
            "that signs the unsubscribe links, and keep it: changing it breaks links already sent"
        )
    return secret


def make_token(secret: str, address: str, purpose: str = "unsubscribe", *, timed: bool = False) -> str:
    """A URL-safe token naming `address`, signed for one `purpose` (the salt).

    `timed=True` adds the signing time, for tokens that `verify_token(max_age=…)` should expire
    (e.g. a double opt-in confirmation); unsubscribe tokens are untimed and deterministic.
    """
    return str(_serializer(secret, purpose, timed).dumps(address))


@functools.lru_cache(maxsize=8)
def _serializer(secret: str, purpose: str, timed: bool) -> URLSafeSerializer | URLSafeTimedSerializer:
    """One serializer per key: deriving the HMAC key is half the cost of a token."""
    kind = URLSafeTimedSerializer if timed else URLSafeSerializer
    return kind(secret, salt=purpose, signer_kwargs=_SIGNER)


def verify_token(secret: str, token: str, purpose: str = "unsubscribe", max_age: int | None = None) -> str:
    """The address a token was made for, or BadToken; `max_age` (seconds) needs a timed token."""
    try:
        if max_age is None:
            value = URLSafeSerializer(secret, salt=purpose, signer_kwargs=_SIGNER).loads(token)
        else:
            value = URLSafeTimedSerializer(secret, salt=purpose, signer_kwargs=_SIGNER).loads(
                token, max_age=max_age
            )
    except BadData as e:
        raise BadToken(f"invalid {purpose} token: {type(e).__name__}") from None
    if not isinstance(value, str):
        raise BadToken(f"invalid {purpose} token: not an address")
    return value


# --- VERP: the envelope sender names the message it came back from --------------------------

#: The salt of bounce tokens: a token made for an unsubscribe link can never pass as one.
VERP_PURPOSE = b"newsletter-verp"
_VERP_MAC = 12  # base32 characters: 60 bits, enough that a forged token never matches
_VERP_ISSUE = 8


def _b32(data: bytes, n: int) -> str:
    return base64.b32encode(data).decode("ascii").lower()[:n]


def issue_key(issue_id: str) -> str:
    """A short, stable name for an issue inside a bounce token (its id is a long `tag:` URI)."""
    return _b32(hashlib.sha256(issue_id.encode("utf-8")).digest(), _VERP_ISSUE)


def _verp_mac(secret: str, key: str, subscriber_id: int, address: str) -> str:
    msg = f"{key}\0{subscriber_id}\0{address.lower()}".encode()
    return _b32(hmac.new(secret.encode("utf-8") + VERP_PURPOSE, msg, hashlib.sha256).digest(), _VERP_MAC)


def make_verp_token(secret: str, issue_id: str, subscriber_id: int, address: str) -> str:
    """`<subscriber>-<issue key>-<mac>`, lower-case letters, digits and dashes (≤ 34 characters).

    Short enough for a local part (RFC 5321: 64 octets) after `bounces+`, and case-insensitive,
    since some mail systems lower-case the address a bounce is returned to. The MAC covers the
    recipient's address too, so a token outlives no re-use of the subscriber number.
    """
    key = issue_key(issue_id)
    return f"{subscriber_id}-{key}-{_verp_mac(secret, key, subscriber_id, address)}"


def split_verp_token(token: str) -> tuple[int, str, str]:
    """(subscriber id, issue key, mac) of a token's shape, or BadToken; verify with `verp_matches`."""
    parts = token.lower().split("-")
    if (
        len(parts) != 3
        or not parts[0].isdigit()
        or len(parts[0]) > 12
        or len(parts[1]) != _VERP_ISSUE
        or len(parts[2]) != _VERP_MAC
    ):
        raise BadToken(f"invalid bounce token {token[:80]!r}: not one this newsletter makes")
    return int(parts[0]), parts[1], parts[2]


def verp_matches(secret: str, token: str, address: str) -> bool:
    """True if `token` was made with `secret` for `address` (the subscriber's stored address)."""
    subscriber_id, key, mac = split_verp_token(token)
    return hmac.compare_digest(mac, _verp_mac(secret, key, subscriber_id, address))


def verp_address(sender: str, token: str) -> str:
    """`local+token@domain` for the envelope sender `local@domain`; or `sender` itself when the
    result would not fit a local part (RFC 5321: 64 octets) — then bounces still arrive, unnamed."""
    local, at, domain = sender.rpartition("@")
    if not at or len(local) + 1 + len(token) > 64:
        return sender
    return f"{local}+{token}@{domain}"


def verp_token_of(address: str) -> str | None:
    """The token in a `local+token@domain` address a bounce was returned to, if any."""
    local = address.strip().strip("<>").rpartition("@")[0]
    _, plus, token = local.rpartition("+")
    return token.lower() if plus and token else None


def envelope_sender(base: str, secret: str, issue_id: str, verp: bool = True) -> Callable[[int, str], str]:
    """The envelope sender (Return-Path) of each (subscriber id, address) message of an issue:
    `base` with a bounce token when `verp`, so a returned message names its recipient."""
    if not verp:
        return lambda _subscriber_id, _address: base
    return lambda subscriber_id, address: verp_address(
        base, make_verp_token(secret, issue_id, subscriber_id, address)
    )
