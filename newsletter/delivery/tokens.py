"""Signed tokens for unsubscribe links: verifiable later by the web service, forgeable by no one.

The format is itsdangerous's URL-safe serializer (HMAC-SHA256 over URL-safe base64 JSON, the
purpose as salt), so the Flask service of issue 4 can verify with either this module or
itsdangerous itself. Unsubscribe tokens carry no timestamp: a link in a years-old issue must
still work, and the same recipient always gets the same token (a resent message is identical).
"""

from __future__ import annotations

import functools
import hashlib
import os

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
