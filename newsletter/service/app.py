"""The subscription service: double opt-in sign-up and RFC 8058 one-click unsubscribe (WSGI).

    GET  /subscribe              the sign-up form (sets the CSRF cookie)
    POST /subscribe              form or JSON: queue a sign-up (stored pending, a confirmation mailed)
    GET  /confirm/TOKEN          activate the sign-up the link was sent for
    GET  /unsubscribe/TOKEN      a page with one button
    POST /unsubscribe/TOKEN      `List-Unsubscribe=One-Click`: unsubscribe at once (RFC 8058)
    GET  /healthz                "ok" when the database answers and its schema is this code's
    POST /webhooks/ses           Amazon SES events through SNS (webhooks.py)

Every answer to a sign-up is the same whether the address is new, pending or subscribed, and
takes the same time (a queue records it and mails after the answer): nobody learns who is on the list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import queue
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, Response, g, jsonify, request, url_for
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Config
from ..delivery.signing import signer_for
from ..delivery.subscribers import SignupPolicy, Subscriber, SubscriberList
from ..delivery.tokens import BadToken, secret_from_env, verify_token
from ..delivery.transports import Transport, transport_from_config
from ..errors import NewsletterError
from ..store import Store, check_schema, open_store
from . import csrf
from .confirmation import confirm_token, confirmation_message, read_confirm_token
from .forms import SIGNUP_FIELDS, FormError, Signup, parse_signup, read_fields, wants_json
from .mailer import ConfirmationMailer, Outgoing
from .pages import ServicePages
from .ratelimit import RateLimiter
from .settings import ServiceSettings, origin_of, service_settings
from .webhooks import register_webhooks

log = logging.getLogger("newsletter.service")
MAX_TOKEN_CHARS = 1024

#: HTTP status -> the labels.toml key of the message shown for it.
PROBLEMS = {
    400: "malformed",
    403: "forbidden",
    404: "not_found",
    405: "malformed",
    413: "too_large",
    415: "malformed",
    429: "rate_limited",
    503: "unavailable",
}


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
    policy = SignupPolicy(
        max_age=settings.confirm_max_age,
        resend_after=settings.confirm_resend_after,
        max_sends=settings.confirmations_per_address,
    )

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
    _routes(app, service, policy)
    register_webhooks(app)
    return app


# --- helpers for the views --------------------------------------------------------------------


def _page_language(service: Service, wanted: str = "") -> str:
    for code in (wanted, request.args.get("lang", "")):
        if code in service.languages:
            return code
    return request.accept_languages.best_match(service.languages) or service.config.site.language


def _answer(
    service: Service,
    status: int,
    *,
    title: str,
    text: str,
    language: str,
    json: dict[str, Any],
    error: bool = False,
) -> Response:
    """The same outcome as an HTML page or as JSON, whichever the client asked for."""
    if wants_json(request):
        resp = jsonify(json)
    else:
        labels = service.pages.labels(language)
        html = service.pages.render(
            "message.html",
            language,
            heading=labels[title],
            text=labels[text],
            error=error,
            csp_nonce=g.csp_nonce,
        )
        resp = Response(html, mimetype="text/html")
    resp.status_code = status
    return resp


def _problem(service: Service, status: int, problem: str, language: str, detail: str = "") -> Response:
    labels = service.pages.labels(language)
    return _answer(
        service,
        status,
        title="service_error_title",
        text=f"service_{problem}",
        language=language,
        json={
            "error": problem,
            "message": labels[f"service_{problem}"],
            **({"detail": detail} if detail else {}),
        },
        error=True,
    )


def _signup_form(
    service: Service, status: int, language: str, *, email: str = "", problem: str = ""
) -> Response:
    """The sign-up form, with a fresh CSRF token bound to the visitor's (new or kept) cookie."""
    name = csrf.cookie_name(request.is_secure)
    cookie = request.cookies.get(name, "")
    if not (20 <= len(cookie) <= 64 and cookie.replace("-", "").replace("_", "").isalnum()):
        cookie = csrf.new_cookie_value()
    labels = service.pages.labels(language)
    html = service.pages.render(
        "subscribe.html",
        language,
        heading=labels["subscribe"],
        action=url_for("subscribe"),
        email=email,
        error=labels[f"service_{problem}"] if problem else "",
        language=language,
        languages=service.pages.edition_choices(),
        csrf_token=csrf.form_token(service.secret, cookie),
        csp_nonce=g.csp_nonce,
    )
    resp = Response(html, status=status, mimetype="text/html")
    resp.set_cookie(
        name,
        cookie,
        max_age=csrf.MAX_AGE,
        path="/",
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )
    return resp


def _client() -> str:
    return request.remote_addr or "unknown"


def _limited(limiter: RateLimiter) -> float:
    return limiter.allow(_client())


def _csrf_ok(service: Service, fields: dict[str, str]) -> bool:
    """A trusted page's Origin, or a token matching the cookie; JSON only from no or a trusted origin."""
    origin = csrf.request_origin(request.headers)
    trusted = origin in service.settings.allowed_origins
    if request.mimetype == "application/json":
        return not origin or trusted or origin == service.own_origin
    if trusted:
        return True
    cookie = request.cookies.get(csrf.cookie_name(request.is_secure))
    return csrf.token_matches(service.secret, cookie, fields.get(csrf.FIELD))


# --- the views --------------------------------------------------------------------------------


def _routes(app: Flask, service: Service, policy: SignupPolicy) -> None:
    settings = service.settings

    @app.before_request
    def _start() -> Response | None:
        g.csp_nonce = secrets.token_urlsafe(16)
        g.language = service.config.site.language
        if request.endpoint == "healthz" or (request.endpoint == "unsubscribe" and request.method == "POST"):
            return None  # never limit health checks, nor mail providers' one-click POSTs
        if request.blueprint == "webhooks":
            return None  # SNS retries what is refused; a burst of bounces must not be turned away
        wait = _limited(service.requests)
        if wait:
            return _too_many(wait)
        return None

    def _too_many(wait: float) -> Response:
        resp = _problem(service, 429, "rate_limited", _page_language(service))
        resp.headers["Retry-After"] = str(max(1, round(wait)))
        return resp

    @app.after_request
    def _headers(resp: Response) -> Response:
        h = resp.headers
        nonce = getattr(g, "csp_nonce", "")
        h["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        )
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"  # the URL holds a token naming the address
        h["X-Frame-Options"] = "DENY"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h.setdefault("Cache-Control", "no-store")
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=31536000"
        if request.path.endswith("/subscribe"):
            origin = csrf.request_origin(request.headers)
            if origin in settings.allowed_origins:
                h["Access-Control-Allow-Origin"] = origin
            h.add("Vary", "Origin")
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Response:
        status = e.code or 500
        if not hasattr(g, "csp_nonce"):
            g.csp_nonce = secrets.token_urlsafe(16)
        resp = _problem(service, status, PROBLEMS.get(status, "malformed"), _page_language(service))
        if status == 405 and e.get_response().headers.get("Allow"):
            resp.headers["Allow"] = e.get_response().headers["Allow"]
        return resp

    @app.errorhandler(DBAPIError)
    def _database_error(e: DBAPIError) -> Response:
        log.error("database error: %s", e)
        return _problem(service, 503, "unavailable", _page_language(service))

    @app.errorhandler(NewsletterError)
    def _setup_error(e: NewsletterError) -> Response:
        log.error("%s", e)
        return _problem(service, 503, "unavailable", _page_language(service))

    @app.get("/healthz")
    def healthz() -> Response:
        """200 while the database answers with this code's schema; else 503 (and one log line)."""
        check_schema(service.subscribers.store)
        return Response("ok\n", mimetype="text/plain")

    @app.route("/subscribe", methods=["OPTIONS"])
    def subscribe_preflight() -> Response:
        """CORS preflight, so the static site may also post JSON with fetch()."""
        resp = Response(status=204)
        if csrf.request_origin(request.headers) in settings.allowed_origins:
            resp.headers["Access-Control-Allow-Methods"] = "POST"
            resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
            resp.headers["Access-Control-Max-Age"] = "600"
        return resp

    @app.get("/subscribe")
    def subscribe_form() -> Response:
        return _signup_form(service, 200, _page_language(service))

    @app.post("/subscribe")
    def subscribe() -> Response:
        wait = _limited(service.signups)
        if wait:
            return _too_many(wait)
        language = _page_language(service)
        fields: dict[str, str] = {}
        try:
            fields = read_fields(request, SIGNUP_FIELDS)
            language = _page_language(service, fields.get("language", ""))
            if not _csrf_ok(service, fields):
                raise FormError(403, "forbidden", "no trusted Origin and no valid CSRF token")
            signup = parse_signup(fields, service.languages, service.config.site.language)
        except FormError as e:
            if wants_json(request) or e.status not in (400, 403) or e.problem == "malformed":
                return _problem(service, e.status, e.problem, language, e.detail)
            email = fields.get("email", "") if e.problem != "line_break" else ""
            return _signup_form(service, e.status, language, email=email, problem=e.problem)
        if service.mailer.full():
            raise NewsletterError("the sign-up queue is full")
        answer = _answer(
            service,
            202 if wants_json(request) else 200,
            title="service_check_inbox_title",
            text="service_check_inbox_text",
            language=signup.language,
            json={
                "status": "pending",
                "message": service.pages.labels(signup.language)["service_check_inbox_text"],
            },
        )
        if not signup.honeypot:  # a bot filled the hidden field: it gets the same answer, nothing else
            # Queued once the answer is out: a worker busy with it must not slow the answer down.
            answer.call_on_close(functools.partial(_queue_signup, service, signup, policy, service.clock()))
        return answer

    @app.get("/confirm/<token>")
    def confirm(token: str) -> Response:
        language = _page_language(service)
        try:
            if len(token) > MAX_TOKEN_CHARS:
                raise BadToken("token too long")
            address, nonce, lang = read_confirm_token(service.secret, token, settings.confirm_max_age)
        except BadToken:
            return _answer(
                service, 400, title="service_link_invalid_title", text="service_link_invalid_text",
                language=language, json={"error": "invalid_token"}, error=True,
            )  # fmt: skip
        with service.subscribers.lease() as subs:
            outcome = subs.confirm_signup(address, nonce)
            language = _subscriber_language(service, subs.get(address), lang)
        if outcome == "confirmed":
            title, text, status = "service_confirmed_title", "service_confirmed_text", 200
        elif outcome == "already_active":
            title, text, status = "service_already_title", "service_already_text", 200
        else:
            title, text, status = "service_link_used_title", "service_link_used_text", 410
        return _answer(service, status, title=title, text=text, language=language, json={"status": outcome})

    @app.route("/unsubscribe/<token>", methods=["GET", "POST"])
    def unsubscribe(token: str) -> Response:
        language = _page_language(service)
        try:
            if len(token) > MAX_TOKEN_CHARS:
                raise BadToken("token too long")
            address = verify_token(service.secret, token, "unsubscribe")
        except BadToken:
            return _answer(
                service, 400, title="service_link_invalid_title", text="service_link_invalid_text",
                language=language, json={"error": "invalid_token"}, error=True,
            )  # fmt: skip
        with service.subscribers.lease() as subs:
            language = _subscriber_language(service, subs.get(address))
        if request.method == "GET":  # link scanners fetch links: a GET changes nothing
            labels = service.pages.labels(language)
            html = service.pages.render(
                "unsubscribe.html",
                language,
                heading=labels["service_unsubscribe_title"],
                action=url_for("unsubscribe", token=token),
                csp_nonce=g.csp_nonce,
            )
            return Response(html, mimetype="text/html")
        if not _one_click():
            return _problem(
                service, 400, "malformed", language, "the body must be List-Unsubscribe=One-Click"
            )
        with service.subscribers.lease() as subs:
            subs.unsubscribe(address)
        return _answer(
            service, 200, title="service_unsubscribed_title", text="service_unsubscribed_text",
            language=language, json={"status": "unsubscribed"},
        )  # fmt: skip


def _subscriber_language(service: Service, subscriber: Subscriber | None, wanted: str = "") -> str:
    """The language of a page for a known reader: the edition stored for them (the site's when
    they chose none); the browser's only for an address the list does not know."""
    if subscriber is None:
        return _page_language(service, wanted)
    return _page_language(service, subscriber.language or service.config.site.language)


def _one_click() -> bool:
    """RFC 8058's body, as multipart/form-data, urlencoded, or (leniently) untyped."""
    if request.form.get("List-Unsubscribe") == "One-Click":
        return True
    if request.mimetype in ("", "text/plain"):
        body = parse_qs(request.get_data(as_text=True, cache=True).strip())
        return body.get("List-Unsubscribe") == ["One-Click"]
    return False


def _queue_signup(service: Service, signup: Signup, policy: SignupPolicy, now: dt.datetime) -> None:
    """Hand the sign-up to the mail workers. The request did the same work for every address:
    whether it is new, pending or subscribed is looked up by a worker (see service/mailer.py)."""
    if not service.mailer.submit(functools.partial(_record_signup, service, signup, policy, now)):
        log.warning("sign-up of %s dropped: the queue is full", signup.address)


def _record_signup(
    service: Service, signup: Signup, policy: SignupPolicy, now: dt.datetime
) -> Outgoing | None:
    """Record the sign-up; the confirmation mail to send, if one is due (run by a mail worker)."""
    with service.subscribers.lease() as subs:
        decision = subs.request_signup(
            signup.address, signup.language, signup.name, policy=policy, clock=lambda: now
        )
    # With no mail due, the mail is composed all the same and dropped: a worker's work must not
    # differ by address either, or a request answered meanwhile would be slowed for one kind only.
    token = confirm_token(service.secret, decision.address, decision.nonce or "-", signup.language)
    compose = functools.partial(
        confirmation_message,
        service.config,
        service.pages,
        address=decision.address,
        name=signup.name,
        language=signup.language,
        confirm_url=f"{service.settings.public_url}confirm/{token}",
        max_age=service.settings.confirm_max_age,
        date=now,
    )
    if not decision.send:
        service.mailer.sign(compose())
        return None
    return Outgoing(decision.address, decision.nonce, compose)
