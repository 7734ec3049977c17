"""The `[service]` table of newsletter.toml: limits and addresses of the subscription service.

Read through `Config.table`, with the same reader and error messages as the rest of the config.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import Config


@dataclass(frozen=True)
class ServiceSettings:
    """How the service behaves; every field has a safe default."""

    public_url: str  # where the service is reached from outside, ends with "/"
    allowed_origins: frozenset[str]  # pages allowed to post the sign-up form without a CSRF token
    confirm_max_age: dt.timedelta = dt.timedelta(days=7)
    signups_per_minute: int = 10  # per client address
    requests_per_minute: int = 300  # per client address, every other endpoint but /healthz
    max_body_bytes: int = 16384
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For/-Proto to believe
    confirm_resend_after: dt.timedelta = dt.timedelta(minutes=10)
    confirmations_per_address: int = 3
    sns_topics: frozenset[str] = frozenset()  # SNS topics whose SES events POST /webhooks/ses takes


def origin_of(url: str) -> str:
    """`scheme://host[:port]` as browsers send it in `Origin` (lower case, default port dropped)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def _default_public_url(config: Config) -> str:
    """The service's own base URL, from where the site already says it is."""
    site = config.site
    if site.subscribe_url and site.subscribe_url.rstrip("/").endswith("/subscribe"):
        return site.subscribe_url.rstrip("/")[: -len("subscribe")]
    marker = "unsubscribe/{token}"
    if site.unsubscribe_url.endswith(marker):
        return site.unsubscribe_url[: -len(marker)]
    return ""


def service_settings(config: Config) -> ServiceSettings:
    """The `[service]` table of the config's newsletter.toml (absent: all defaults), with the
    service's public address, which serving needs."""
    settings = read_service_settings(config)
    if not settings.public_url:
        raise config.table("service")._err(
            "public_url",
            "is not set and cannot be derived; set [site] subscribe_url to https://…/subscribe "
            "or [service] public_url to the service's address, e.g. https://subscribe.example.org/",
        )
    return settings


def read_service_settings(config: Config) -> ServiceSettings:
    """The `[service]` table as written; `public_url` is "" when it is neither set nor derivable
    (a newsletter without a service)."""
    t = config.table("service")
    public_url = t.string("public_url", "") or _default_public_url(config)
    if public_url and not origin_of(public_url):
        raise t._err("public_url", "must be an absolute http(s) URL, e.g. https://subscribe.example.org/")
    origins = t.strs("allowed_origins") if t.has("allowed_origins") else (config.site.base_url,)
    allowed = set()
    for o in origins:
        if not origin_of(o):
            raise t._err("allowed_origins", f"{o!r} is not an http(s) origin like https://example.org")
        allowed.add(origin_of(o))
    for arn in t.strs("sns_topics"):
        from .sns import topic_region  # only here: every command reads this table, few name topics

        if not topic_region(arn):
            raise t._err(
                "sns_topics",
                f"{arn!r} is not an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:ses-events",
            )
    days = t.number("confirm_max_age_days", 7)
    if days <= 0:
        raise t._err("confirm_max_age_days", "must be more than 0")
    return ServiceSettings(
        public_url=public_url if public_url.endswith("/") or not public_url else public_url + "/",
        allowed_origins=frozenset(allowed),
        confirm_max_age=dt.timedelta(days=days),
        signups_per_minute=max(1, t.whole("signups_per_minute", 10)),
        requests_per_minute=max(1, t.whole("requests_per_minute", 300)),
        max_body_bytes=max(1024, t.whole("max_body_bytes", 16384)),
        trusted_proxies=t.whole("trusted_proxies", 0),
        confirm_resend_after=dt.timedelta(minutes=t.number("confirm_resend_minutes", 10)),
        confirmations_per_address=max(1, t.whole("confirmations_per_address", 3)),
        sns_topics=frozenset(t.strs("sns_topics")),
    )
