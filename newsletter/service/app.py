"""The subscription service: double opt-in sign-up and RFC 8058 one-click unsubscribe (WSGI).

    GET  /subscribe              the sign-up form (sets the CSRF cookie)
    POST /subscribe              form or JSON: queue a sign-up (stored pending, a confirmation mailed)
    GET  /confirm/TOKEN          activate the sign-up the link was sent for
    GET  /unsubscribe/TOKEN      a page with one button
    POST /unsubscribe/TOKEN      `List-Unsubscribe=One-Click`: unsubscribe at once (RFC 8058)
    GET  /healthz                "ok" when the database answers and its schema is this code's
    POST /webhooks/ses           Amazon SES events through SNS (webhooks.py)

The pages are a Blueprint in views.py; this module builds the app and what it shares.

Every answer to a sign-up is the same whether the address is new, pending or subscribed, and
takes the same time (a queue records it and mails after the answer): nobody learns who is on the list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Config
from ..delivery.signing import signer_for
from ..delivery.subscribers import SignupPolicy, SubscriberList
from ..delivery.tokens import secret_from_env
from ..delivery.transports import Transport, transport_from_config
from ..store import Store, open_store
from .mailer import ConfirmationMailer, Outgoing
from .pages import ServicePages
from .ratelimit import RateLimiter
from .settings import ServiceSettings, origin_of, service_settings
from .views import views
from .webhooks import register_webhooks


class SubscriberPool:
    """A few database connections shared by the request threads (writes serialize in SQLite anyway)."""

    def __init__(self, store: Store, size: int = 8):
        self.store = store
        self._free: queue.LifoQueue[SubscriberList] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        with self.lease():  # fail at start, with a clear line, when the database cannot be opened
            pass

    @contextlib.contextmanager
    def lease(self) -> Iterator[SubscriberList]:
        with self._slots:
            try:
                subs = self._free.get_nowait()
            except queue.Empty:
                subs = SubscriberList(self.store)
            try:
                yield subs
            finally:
                self._free.put(subs)


@dataclass
class Service:
    """Everything a request needs, built once by `create_app`."""

    config: Config
    settings: ServiceSettings
    secret: str
    pages: ServicePages
    subscribers: SubscriberPool
    mailer: ConfirmationMailer
    signups: RateLimiter
    requests: RateLimiter
    clock: Callable[[], dt.datetime]
    policy: SignupPolicy

    @property
    def languages(self) -> tuple[str, ...]:
        return self.pages.languages

    @property
    def own_origin(self) -> str:
        return origin_of(self.settings.public_url)


def offered_languages(config: Config) -> set[str]:
    """The editions a reader may choose: the site's language and every configured edition."""
    return set(config.site.languages)


def create_app(
    config: Config,
    *,
    secret: str | None = None,
    transport: Transport | None = None,
    settings: ServiceSettings | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Flask:
    """The WSGI app for one newsletter. `secret` defaults to NEWSLETTER_SECRET (refuses to start
    without it), `transport` to the configured one (outbox, or SMTP when NEWSLETTER_SMTP_URL is set)."""
    secret = secret or secret_from_env()
    settings = settings or service_settings(config)
    if transport is None:
        transport = transport_from_config(config)
    subscribers = SubscriberPool(open_store(config))

    def release(item: Outgoing) -> None:
        with subscribers.lease() as subs:
            subs.release_signup(item.recipient, item.nonce)

    service = Service(
        config=config,
        settings=settings,
        secret=secret,
        pages=ServicePages(config.site, config.templates_dir, offered_languages(config)),
        subscribers=subscribers,
        mailer=ConfirmationMailer(transport, signer=signer_for(config), on_failure=release),
        signups=RateLimiter(settings.signups_per_minute),
        requests=RateLimiter(settings.requests_per_minute),
        clock=clock or (lambda: dt.datetime.now(dt.UTC)),
        policy=SignupPolicy(
            max_age=settings.confirm_max_age,
            resend_after=settings.confirm_resend_after,
            max_sends=settings.confirmations_per_address,
        ),
    )
    app = Flask("newsletter.service", static_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
        MAX_FORM_PARTS=20,
        TRAP_HTTP_EXCEPTIONS=False,
    )
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    app.extensions["newsletter"] = service
    app.register_blueprint(views)
    register_webhooks(app)
    return app
