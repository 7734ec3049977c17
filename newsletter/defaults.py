"""Defaults that several stages must agree on, decided once: the distribution's name, and the
unsubscribe links (what a recipient gets, what the published web copy of an email shows, and
which configured URLs are only placeholders).

The build renders each email with UNSUBSCRIBE_PLACEHOLDER where a recipient's unsubscribe URL
goes, but never publishes it: `email.html` and `email.txt` carry `web_unsubscribe_link` instead,
a link that works for anyone reading the web copy. Delivery turns it back into the placeholder
(`for_delivery`) and puts each recipient's signed URL there.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from .config import Config

#: The name on the package index (`newsletter` there is an unrelated project); the import
#: package and the command stay `newsletter`.
DISTRIBUTION = "newsletter-pipeline"

#: Stands, inside the build only, where each recipient's unsubscribe URL goes.
UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/{{token}}"

#: Hosts that only ever stand for a real one (RFC 2606, RFC 6761): no reader can use such a link.
_PLACEHOLDER_DOMAINS = (
    "example.org",
    "example.com",
    "example.net",
    "invalid",
    "example",
    "test",
    "localhost",
)


def is_placeholder_url(url: str) -> bool:
    """True for a URL whose host is a reserved example name (example.org, *.invalid, …)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in _PLACEHOLDER_DOMAINS)


def unsubscribe_mailto_link(config: Config) -> str:
    """The list's unsubscribe address as a link, or "" when `[email] unsubscribe_mailto` is unset."""
    mailto = config.email.unsubscribe_mailto
    return f"mailto:{mailto}?subject=unsubscribe" if mailto else ""


def web_unsubscribe_link(config: Config) -> str:
    """What the published copy of an email links as "unsubscribe": the list's unsubscribe
    address, else the sign-up page (which explains how to leave), else the archive's front page.

    A fragment makes the http(s) forms unique in the email, so delivery finds exactly this link.
    """
    site = config.site
    return unsubscribe_mailto_link(config) or f"{site.subscribe_url or site.base_url}#unsubscribe"


#: The recipient of the message `newsletter check` judges (a reserved example address).
SAMPLE_RECIPIENT = "leserin@example.org"


def sample_unsubscribe_url(config: Config, token: str) -> str:
    """A recipient's unsubscribe URL with `token`: the configured `[site] unsubscribe_url`, or,
    when none is set (an unsubscribe by email only), the web link."""
    pattern = config.site.unsubscribe_url
    return pattern.replace("{token}", token) if pattern else web_unsubscribe_link(config)


def published(config: Config, content: str, *, html: bool) -> str:
    """A built email.html (`html`) or email.txt as published: the web link, no placeholder."""
    link = web_unsubscribe_link(config)
    return content.replace(UNSUBSCRIBE_PLACEHOLDER, escape(link) if html else link)


def for_delivery(config: Config, content: str, *, html: bool) -> str:
    """A published email.html or email.txt with the placeholder back where each recipient's
    unsubscribe URL goes."""
    link = web_unsubscribe_link(config)
    return content.replace(escape(link) if html else link, UNSUBSCRIBE_PLACEHOLDER)
