"""CSRF protection for the sign-up form: a signed double-submit token, or a trusted Origin.

Two kinds of page post to `POST /subscribe`:

- the service's own form (GET /subscribe): the page sets a random cookie and puts, in a hidden
  field, that cookie's value signed with NEWSLETTER_SECRET (HMAC, expiring). A POST is accepted
  when field and cookie belong together. Another site can neither read the cookie nor sign a
  value, and the cookie is SameSite=Strict, so a cross-site POST never carries it;
- the static site's snippet (templates/site/base.html), on another origin, without a token:
  accepted only when the browser's `Origin` (or, without it, `Referer`) is one of
  `[service] allowed_origins` (default: the site's own origin).

A JSON body needs no token: a browser sends `Content-Type: application/json` cross-origin only
after a CORS preflight, which the service answers for allowed origins only. The one-click
unsubscribe POST is exempt on purpose (RFC 8058: mail providers post it without a page): the
signed token in its URL is the proof.
"""

from __future__ import annotations

import hashlib
import secrets

from werkzeug.datastructures import Headers

from ..delivery.tokens import BadToken, make_token, verify_token
from .settings import origin_of

PURPOSE = "csrf"
FIELD = "csrf_token"
MAX_AGE = 12 * 3600  # a form left open over a working day still posts


def cookie_name(secure: bool) -> str:
    """`__Host-` binds the cookie to this exact host over HTTPS (no subdomain can set it)."""
    return "__Host-newsletter-csrf" if secure else "newsletter-csrf"


def new_cookie_value() -> str:
    return secrets.token_urlsafe(24)


def form_token(secret: str, cookie_value: str) -> str:
    """The hidden field's value for a page whose visitor holds `cookie_value`."""
    return make_token(secret, _digest(cookie_value), PURPOSE, timed=True)


def token_matches(secret: str, cookie_value: str | None, token: str | None) -> bool:
    """True when `token` was made by `form_token` for this cookie, within MAX_AGE."""
    if not cookie_value or not token or len(token) > 512:
        return False
    try:
        signed = verify_token(secret, token, PURPOSE, max_age=MAX_AGE)
    except BadToken:
        return False
    return secrets.compare_digest(signed, _digest(cookie_value))


def request_origin(headers: Headers) -> str:
    """The origin a browser says the request comes from: `Origin`, else the `Referer`'s."""
    origin = headers.get("Origin", "")
    if origin and origin != "null":
        return origin_of(origin)
    return origin_of(headers.get("Referer", ""))


def _digest(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()
