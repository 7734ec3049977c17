"""The service's pages as a Blueprint: sign-up, confirmation, unsubscribe and the health check,
with the headers, rate limits and error pages every answer of the app gets (app.py builds the app).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from ..delivery.subscribers import SignupPolicy, Subscriber
from ..delivery.tokens import BadToken, verify_token
from ..errors import NewsletterError
from ..store import check_schema
from . import csrf
from .confirmation import confirm_token, confirmation_message, read_confirm_token
from .forms import SIGNUP_FIELDS, FormError, Signup, parse_signup, read_fields, wants_json
from .mailer import Outgoing
from .ratelimit import RateLimiter

if TYPE_CHECKING:
    from .app import Service

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

views = Blueprint("subscription", __name__)


def _service() -> Service:
    service: Service = current_app.extensions["newsletter"]
    return service


# --- helpers for the views --------------------------------------------------------------------


def _page_language(service: Service, wanted: str = "") -> str:
    for code in (wanted, request.args.get("lang", "")):
        if code in service.languages:
            return code
    return request.accept_languages.best_match(service.languages) or service.config.site.language


def _subscriber_language(service: Service, subscriber: Subscriber | None, wanted: str = "") -> str:
    """The language of a page for a known reader: the edition stored for them (the site's when
    they chose none); the browser's only for an address the list does not know."""
    if subscriber is None:
        return _page_language(service, wanted)
    return _page_language(service, subscriber.language or service.config.site.language)


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
        action=url_for("subscription.subscribe"),
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


def _invalid_link(service: Service, language: str) -> Response:
    """A confirm or unsubscribe link that is broken, forged or too long: one answer for all."""
    return _answer(
        service, 400, title="service_link_invalid_title", text="service_link_invalid_text",
        language=language, json={"error": "invalid_token"}, error=True,
    )  # fmt: skip


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


@views.before_app_request
def _start() -> Response | None:
    service = _service()
    g.csp_nonce = secrets.token_urlsafe(16)
    g.language = service.config.site.language
    if request.endpoint == "subscription.healthz" or (
        request.endpoint == "subscription.unsubscribe" and request.method == "POST"
    ):
        return None  # never limit health checks, nor mail providers' one-click POSTs
    if request.blueprint == "webhooks":
        return None  # SNS retries what is refused; a burst of bounces must not be turned away
    wait = _limited(service.requests)
    if wait:
        return _too_many(service, wait)
    return None


def _too_many(service: Service, wait: float) -> Response:
    resp = _problem(service, 429, "rate_limited", _page_language(service))
    resp.headers["Retry-After"] = str(max(1, round(wait)))
    return resp


@views.after_app_request
def _headers(resp: Response) -> Response:
    service = _service()
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
        if origin in service.settings.allowed_origins:
            h["Access-Control-Allow-Origin"] = origin
        h.add("Vary", "Origin")
    return resp


@views.app_errorhandler(HTTPException)
def _http_error(e: HTTPException) -> Response:
    service = _service()
    status = e.code or 500
    if not hasattr(g, "csp_nonce"):
        g.csp_nonce = secrets.token_urlsafe(16)
    resp = _problem(service, status, PROBLEMS.get(status, "malformed"), _page_language(service))
    if status == 405 and e.get_response().headers.get("Allow"):
        resp.headers["Allow"] = e.get_response().headers["Allow"]
    return resp


@views.app_errorhandler(DBAPIError)
def _database_error(e: DBAPIError) -> Response:
    service = _service()
    log.error("database error: %s", e)
    return _problem(service, 503, "unavailable", _page_language(service))


@views.app_errorhandler(NewsletterError)
def _setup_error(e: NewsletterError) -> Response:
    service = _service()
    log.error("%s", e)
    return _problem(service, 503, "unavailable", _page_language(service))


@views.get("/healthz")
def healthz() -> Response:
    """200 while the database answers with this code's schema; else 503 (and one log line)."""
    service = _service()
    check_schema(service.subscribers.store)
    return Response("ok\n", mimetype="text/plain")


@views.route("/subscribe", methods=["OPTIONS"])
def subscribe_preflight() -> Response:
    """CORS preflight, so the static site may also post JSON with fetch()."""
    service = _service()
    resp = Response(status=204)
    if csrf.request_origin(request.headers) in service.settings.allowed_origins:
        resp.headers["Access-Control-Allow-Methods"] = "POST"
        resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
        resp.headers["Access-Control-Max-Age"] = "600"
    return resp


@views.get("/subscribe")
def subscribe_form() -> Response:
    service = _service()
    return _signup_form(service, 200, _page_language(service))


@views.post("/subscribe")
def subscribe() -> Response:
    service = _service()
    wait = _limited(service.signups)
    if wait:
        return _too_many(service, wait)
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
        answer.call_on_close(
            functools.partial(_queue_signup, service, signup, service.policy, service.clock())
        )
    return answer


@views.get("/confirm/<token>")
def confirm(token: str) -> Response:
    service = _service()
    language = _page_language(service)
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise BadToken("token too long")
        address, nonce, lang = read_confirm_token(service.secret, token, service.settings.confirm_max_age)
    except BadToken:
        return _invalid_link(service, language)
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


@views.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response:
    service = _service()
    language = _page_language(service)
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise BadToken("token too long")
        address = verify_token(service.secret, token, "unsubscribe")
    except BadToken:
        return _invalid_link(service, language)
    with service.subscribers.lease() as subs:
        language = _subscriber_language(service, subs.get(address))
    if request.method == "GET":  # link scanners fetch links: a GET changes nothing
        labels = service.pages.labels(language)
        html = service.pages.render(
            "unsubscribe.html",
            language,
            heading=labels["service_unsubscribe_title"],
            action=url_for("subscription.unsubscribe", token=token),
            csp_nonce=g.csp_nonce,
        )
        return Response(html, mimetype="text/html")
    if not _one_click():
        return _problem(service, 400, "malformed", language, "the body must be List-Unsubscribe=One-Click")
    with service.subscribers.lease() as subs:
        subs.unsubscribe(address)
    return _answer(
        service, 200, title="service_unsubscribed_title", text="service_unsubscribed_text",
        language=language, json={"status": "unsubscribed"},
    )  # fmt: skip


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
