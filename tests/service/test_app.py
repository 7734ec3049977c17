"""The service's endpoints through the Flask test client: sign-up, confirm, unsubscribe, health."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from newsletter.delivery.tokens import make_token
from newsletter.service import views as view_module

from .conftest import (
    ALLOWED_ORIGIN,
    SECRET,
    confirm_url,
    csrf_token,
    outbox,
    path_of,
    rows,
    service_of,
    subscribers,
)

FROM_SITE = {"Origin": ALLOWED_ORIGIN}
JSON = {"Accept": "application/json"}


def without_nonce(html: str) -> str:
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


# --- GET /subscribe, /healthz, headers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "query", "heading"),
    [
        ("de-DE,de;q=0.9", "", "Newsletter abonnieren"),
        ("fr", "", "S’abonner à la lettre d’information"),
        ("en-GB", "", "Subscribe to the newsletter"),
        ("ja", "", "Newsletter abonnieren"),  # not an edition: the site's language
        ("de", "?lang=en", "Subscribe to the newsletter"),
    ],
)
def test_the_form_speaks_the_readers_language(
    client: FlaskClient, accept_language: str, query: str, heading: str
) -> None:
    r = client.get("/subscribe" + query, headers={"Accept-Language": accept_language})
    assert r.status_code == 200
    assert f"<h1>{heading}</h1>" in r.get_data(as_text=True)


def test_the_form_sets_a_strict_httponly_csrf_cookie_and_a_matching_nonce(client: FlaskClient) -> None:
    r = client.get("/subscribe")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    nonce = re.search(r"style-src 'nonce-([^']+)'", r.headers["Content-Security-Policy"])
    assert nonce and f'<style nonce="{nonce.group(1)}">' in r.get_data(as_text=True)
    assert 'name="website"' in r.get_data(as_text=True)  # the honeypot


@pytest.mark.parametrize("path", ["/subscribe", "/healthz", "/nowhere", "/confirm/x", "/unsubscribe/x"])
def test_every_answer_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    h = client.get(path).headers
    assert h["Content-Security-Policy"].startswith("default-src 'none'; style-src 'nonce-")
    assert "form-action 'self'" in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in h  # plain http


def test_hsts_only_over_https(client: FlaskClient) -> None:
    h = client.get("/healthz", base_url="https://subscribe.example.org").headers
    assert h["Strict-Transport-Security"] == "max-age=31536000"


def test_healthz_is_ok_and_never_rate_limited(make_app: Callable[..., Flask]) -> None:
    client = make_app(requests_per_minute=2).test_client()
    for _ in range(50):
        r = client.get("/healthz")
        assert r.status_code == 200 and r.get_data() == b"ok\n"
    assert client.get("/subscribe").status_code == 200
    assert client.get("/subscribe").status_code == 200
    assert client.get("/subscribe").status_code == 429


def test_unknown_pages_and_methods_get_a_page_not_a_traceback(client: FlaskClient) -> None:
    r = client.get("/admin")
    assert r.status_code == 404 and "Diese Seite gibt es nicht." in r.get_data(as_text=True)
    r = client.delete("/subscribe")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]
    assert client.get("/nowhere", headers=JSON).get_json()["error"] == "not_found"


# --- POST /subscribe ----------------------------------------------------------------------------


def test_own_form_with_its_token_stores_a_pending_signup_and_mails_a_link(
    app: Flask, client: FlaskClient, news: Path
) -> None:
    token = csrf_token(client, "fr")
    r = client.post("/subscribe", data={"email": "Lila@Example.org", "language": "fr", "website": "",
                                        "csrf_token": token})  # fmt: skip
    assert r.status_code == 200
    assert "Presque fini" in r.get_data(as_text=True)
    assert rows(news) == {"Lila@example.org": "pending"}
    [mail] = outbox(app, news)
    assert mail["To"] == "Lila@example.org"
    assert mail["Subject"] == "Veuillez confirmer votre abonnement – Testpost"
    assert mail["Content-Language"] == "fr" and mail["Auto-Submitted"] == "auto-generated"
    assert "List-Unsubscribe" not in mail
    assert confirm_url(mail).startswith("https://subscribe.example.org/confirm/")  # public URL, not Host
    html = mail.get_body(("html",))
    assert html is not None and confirm_url(mail) in html.get_content()


def test_a_forged_host_header_never_reaches_the_confirmation_link(
    app: Flask, client: FlaskClient, news: Path
) -> None:
    r = client.post(
        "/subscribe", data={"email": "a@example.org"}, headers={**FROM_SITE, "Host": "evil.example"}
    )
    assert r.status_code == 200
    assert confirm_url(outbox(app, news)[0]).startswith("https://subscribe.example.org/confirm/")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": ALLOWED_ORIGIN},
        {"Referer": ALLOWED_ORIGIN + "/issues/some-issue/"},
        {"Origin": "null", "Referer": ALLOWED_ORIGIN + "/"},
    ],
)
def test_the_static_sites_snippet_needs_no_token(client: FlaskClient, news: Path, headers: dict) -> None:
    r = client.post("/subscribe", data={"email": "a@example.org", "language": "de", "website": ""},
                    headers=headers)  # fmt: skip
    assert r.status_code == 200
    assert rows(news) == {"a@example.org": "pending"}
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Origin, no Referer, no token
        {"Origin": "https://evil.example"},
        {"Origin": "https://news.example.org.evil.example"},
        {"Origin": "http://news.example.org"},  # another scheme is another origin
        {"Referer": "https://evil.example/?https://news.example.org/"},
    ],
)
def test_a_cross_site_post_without_token_is_refused(
    app: Flask, client: FlaskClient, news: Path, headers: dict
) -> None:
    r = client.post("/subscribe", data={"email": "a@example.org"}, headers=headers)
    assert r.status_code == 403
    assert "Das Formular ist abgelaufen" in r.get_data(as_text=True)
    assert "Access-Control-Allow-Origin" not in r.headers
    assert rows(news) == {} and outbox(app, news) == []


def test_a_token_without_its_cookie_or_from_another_visitor_is_refused(app: Flask, news: Path) -> None:
    alice, mallory = app.test_client(), app.test_client()
    token = csrf_token(mallory)
    csrf_token(alice)  # alice has her own cookie
    r = alice.post("/subscribe", data={"email": "a@example.org", "csrf_token": token})
    assert r.status_code == 403
    fresh = app.test_client()
    assert fresh.post("/subscribe", data={"email": "a@example.org", "csrf_token": token}).status_code == 403
    assert rows(news) == {}


def test_json_sign_up(app: Flask, client: FlaskClient, news: Path) -> None:
    r = client.post("/subscribe", json={"email": "b@example.org", "language": "en", "name": "Bea Müller"})
    assert r.status_code == 202
    assert r.get_json()["status"] == "pending"
    assert rows(news) == {"b@example.org": "pending"}
    [mail] = outbox(app, news)
    assert mail["To"].addresses[0].display_name == "Bea Müller"
    assert client.post("/subscribe", json={"email": "c@example.org"}, headers={"Origin": "https://evil.example"}
                       ).status_code == 403  # fmt: skip


def test_the_answer_is_the_same_for_new_pending_and_active_addresses(
    app: Flask, client: FlaskClient, news: Path
) -> None:
    subs = subscribers(news)
    subs.add("known@example.org", language="de")
    subs.close()
    answers = []
    for address in ("new@example.org", "new@example.org", "known@example.org"):
        for headers in (FROM_SITE, {**FROM_SITE, **JSON}):
            r = client.post("/subscribe", data={"email": address, "language": "de"}, headers=headers)
            answers.append((r.status_code, without_nonce(r.get_data(as_text=True))))
    assert answers[0] == answers[2] == answers[4]
    assert answers[1] == answers[3] == answers[5]
    # one mail in all: none to the active address, no second one to the pending address
    assert [m["To"] for m in outbox(app, news)] == ["new@example.org"]


def test_a_sign_up_does_the_same_work_for_every_address(
    app: Flask, client: FlaskClient, news: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing must not tell who is subscribed: the request validates and queues, nothing else;
    the database is read and written by the mail workers only, after the answer is out."""
    subs = subscribers(news)
    subs.add("known@example.org", language="de")
    subs.close()
    service = service_of(app)
    leases: list[str] = []
    lease = service.subscribers.lease

    @contextlib.contextmanager
    def watched_lease() -> Iterator[Any]:
        leases.append(threading.current_thread().name)
        with lease() as leased:
            yield leased

    monkeypatch.setattr(service.subscribers, "lease", watched_lease)
    queued: list[object] = []
    submit = service.mailer.submit
    monkeypatch.setattr(service.mailer, "submit", lambda job: queued.append(job) or submit(job))
    composed: list[str] = []
    compose = view_module.confirmation_message
    monkeypatch.setattr(
        view_module, "confirmation_message", lambda *a, **k: composed.append(k["address"]) or compose(*a, **k)
    )
    addresses = ["new@example.org", "known@example.org", "new@example.org", "other@example.org"]
    for address in addresses:
        r = client.post("/subscribe", data={"email": address, "language": "de"}, headers=FROM_SITE)
        assert r.status_code == 200
    assert sorted(m["To"] for m in outbox(app, news)) == ["new@example.org", "other@example.org"]
    assert len(queued) == len(addresses)  # one queued sign-up per request, whoever it is for
    assert len(leases) == len(addresses) and all(name.startswith("confirm-mail-") for name in leases)
    # and each worker composes a mail, sent or not, so its work does not differ by address either
    assert sorted(composed) == sorted(addresses)


def test_confirmation_mails_per_address_are_limited(app: Flask, news: Path) -> None:
    service = service_of(app)
    t0 = dt.datetime(2025, 11, 20, 8, 0, tzinfo=dt.UTC)
    now = [t0]
    service.clock = lambda: now[0]
    client = app.test_client()

    def sign_up(minutes: float) -> None:
        now[0] = t0 + dt.timedelta(minutes=minutes)
        r = client.post("/subscribe", data={"email": "d@example.org"}, headers=FROM_SITE)
        assert r.status_code == 200

    for minutes in (0, 1, 5, 11, 12, 30, 60, 90):
        sign_up(minutes)
    mails = outbox(app, news)
    assert len(mails) == 3  # at 0, 11 and 30 minutes; then the sign-up's mails are used up
    links = {confirm_url(m).rsplit(".", 2)[0] for m in mails}
    assert len(links) == 1  # the same sign-up (nonce): every link works until one is used
    sign_up(60 * 24 * 8)  # after the sign-up expired, a new one may start
    assert len(outbox(app, news)) == 4


def test_the_honeypot_answers_like_a_success_and_does_nothing(
    app: Flask, client: FlaskClient, news: Path
) -> None:
    r = client.post("/subscribe", data={"email": "bot@example.org", "website": "http://spam.example"},
                    headers=FROM_SITE)  # fmt: skip
    assert r.status_code == 200 and "Fast geschafft" in r.get_data(as_text=True)
    assert rows(news) == {} and outbox(app, news) == []


@pytest.mark.parametrize(
    ("fields", "status", "problem"),
    [
        ({"email": "not-an-address"}, 400, "invalid_email"),
        ({"email": ""}, 400, "invalid_email"),
        ({}, 400, "invalid_email"),
        ({"email": "a@example.org", "language": "ru"}, 400, "invalid_language"),
        ({"email": "a@example.org", "language": "d e"}, 400, "invalid_language"),
        ({"email": "a" * 300 + "@example.org"}, 400, "invalid_email"),
        ({"email": "a@example.org", "comment": "hi"}, 400, "malformed"),
        ({"email": "a@example.org\r\nBcc: victim@example.org"}, 400, "line_break"),
        ({"email": "a@example.org", "language": "de\n"}, 400, "line_break"),
        ({"email": "a@example.org", "website": "\r\n"}, 400, "line_break"),
        ({"email": "a@example.org", "name": "Eve\r\nBcc: x@example.org"}, 400, "line_break"),
        ({"email": "a@example.org", "name": "Tab\there"}, 400, "line_break"),
    ],
)
def test_bad_fields_get_a_clear_4xx_and_nothing_is_stored(
    app: Flask, client: FlaskClient, news: Path, fields: dict, status: int, problem: str
) -> None:
    r = client.post("/subscribe", json=fields)
    assert r.status_code == status
    assert r.get_json()["error"] == problem
    r = client.post("/subscribe", data=fields, headers=FROM_SITE)
    assert r.status_code == status
    assert rows(news) == {} and outbox(app, news) == []


def test_an_invalid_address_re_shows_the_form_with_the_error(client: FlaskClient) -> None:
    r = client.post("/subscribe", data={"email": "nope", "language": "en"}, headers=FROM_SITE)
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'role="alert"' in page and "Please enter a valid email address." in page
    assert 'value="nope"' in page and 'name="csrf_token"' in page  # can be corrected and resent


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"email": "a@example.org"', "application/json"),
        (b'["a@example.org"]', "application/json"),
        (b'{"email": ["a@example.org"]}', "application/json"),
        (b'{"email": "a@example.org", "email": "b@example.org"}', "application/json"),
        (b"\xff\xfe{}", "application/json"),
        (b"email=a%40example.org&email=b%40example.org", "application/x-www-form-urlencoded"),
        (b"email=a%FF%40example.org", "application/x-www-form-urlencoded"),
        (b"email=a@example.org", "text/plain"),
        (b"<email>a@example.org</email>", "application/xml"),
    ],
)
def test_malformed_bodies_get_a_clear_4xx_and_nothing_is_stored(
    app: Flask, client: FlaskClient, news: Path, body: bytes, content_type: str
) -> None:
    r = client.post("/subscribe", data=body, content_type=content_type, headers=FROM_SITE)
    assert r.status_code in (400, 415)
    assert "Traceback" not in r.get_data(as_text=True)
    assert rows(news) == {} and outbox(app, news) == []


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])  # fmt: skip
def test_oversized_bodies_are_413(app: Flask, client: FlaskClient, news: Path, content_type: str) -> None:
    body = b"email=a%40example.org&website=" + b"x" * 20_000
    r = client.post("/subscribe", data=body, content_type=content_type, headers=FROM_SITE)
    assert r.status_code == 413
    answer = r.get_json()["message"] if content_type == "application/json" else r.get_data(as_text=True)
    assert "Die Anfrage ist zu groß." in answer
    assert rows(news) == {} and outbox(app, news) == []


def test_sign_ups_are_rate_limited_per_client(make_app: Callable[..., Flask], news: Path) -> None:
    client = make_app().test_client()
    codes = [
        client.post("/subscribe", data={"email": f"r{i}@example.org"}, headers=FROM_SITE).status_code
        for i in range(12)
    ]
    assert codes == [200] * 10 + [429] * 2
    r = client.post("/subscribe", data={"email": "late@example.org"}, headers=FROM_SITE)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    other = client.post("/subscribe", data={"email": "other@example.org"}, headers=FROM_SITE,
                        environ_base={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip
    assert other.status_code == 200
    # X-Forwarded-For is not believed without [service] trusted_proxies: no way around the limit
    spoofed = client.post("/subscribe", data={"email": "s@example.org"},
                          headers={**FROM_SITE, "X-Forwarded-For": "198.51.100.1"})  # fmt: skip
    assert spoofed.status_code == 429
    assert len(rows(news)) == 11


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(make_app: Callable[..., Flask]) -> None:
    client = make_app(trusted_proxies=1, signups_per_minute=2).test_client()

    def post(client_ip: str) -> int:
        return client.post("/subscribe", data={"email": "t@example.org"},
                           headers={**FROM_SITE, "X-Forwarded-For": client_ip}).status_code  # fmt: skip

    assert [post("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert post("198.51.100.2") == 200


# --- GET /confirm/TOKEN -------------------------------------------------------------------------


def signed_up(app: Flask, news: Path, address: str = "c@example.org", language: str = "en") -> str:
    r = app.test_client().post("/subscribe", data={"email": address, "language": language}, headers=FROM_SITE)
    assert r.status_code == 200
    return path_of(confirm_url(outbox(app, news)[-1]))


def test_confirming_activates_and_a_replay_changes_nothing(
    app: Flask, client: FlaskClient, news: Path
) -> None:
    link = signed_up(app, news)
    r = client.get(link)
    assert r.status_code == 200 and "You are subscribed!" in r.get_data(as_text=True)
    subs = subscribers(news)
    first = subs.get("c@example.org")
    assert first is not None and first.status == "active" and first.language == "en" and first.source == "web"
    r = client.get(link)
    assert r.status_code == 200 and "Already confirmed" in r.get_data(as_text=True)
    assert subs.get("c@example.org") == first
    assert subs.pending_count() == 0
    subs.close()


def test_a_replayed_link_never_resubscribes_after_an_unsubscribe(
    app: Flask, client: FlaskClient, news: Path
) -> None:
    link = signed_up(app, news)
    assert client.get(link).status_code == 200
    subs = subscribers(news)
    subs.unsubscribe("c@example.org")
    r = client.get(link)
    assert r.status_code == 410 and "This link has been used already" in r.get_data(as_text=True)
    s = subs.get("c@example.org")
    assert s is not None and s.status == "unsubscribed"
    subs.close()


def test_signing_up_again_after_unsubscribing_needs_a_new_confirmation(app: Flask, news: Path) -> None:
    client = app.test_client()
    assert client.get(signed_up(app, news)).status_code == 200
    subs = subscribers(news)
    subs.unsubscribe("c@example.org")
    assert client.get(signed_up(app, news)).status_code == 200
    s = subs.get("c@example.org")
    assert s is not None and s.status == "active"
    subs.close()


def flip_middle(text: str) -> str:
    """`text` with one character in its middle changed (an end character of base64 may carry
    only padding bits, so changing it can leave the decoded bytes as they were)."""
    i = len(text) // 2
    return text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]


def test_tampered_foreign_and_overlong_tokens_are_400(app: Flask, client: FlaskClient, news: Path) -> None:
    link = signed_up(app, news)
    payload, stamp, signature = link.removeprefix("/confirm/").split(".")
    forged = [
        f"/confirm/{payload}.{stamp}.{flip_middle(signature)}",
        f"/confirm/{flip_middle(payload)}.{stamp}.{signature}",
        "/confirm/not-a-token",
        "/confirm/" + make_token(SECRET, "c@example.org", "unsubscribe"),  # another purpose
        "/confirm/" + make_token("another-secret", "n0nce en c@example.org", "confirm", timed=True),
        "/confirm/" + "A" * 5000,
    ]
    for path in forged:
        r = client.get(path)
        assert r.status_code == 400, path
        assert "This link is not valid" in r.get_data(
            as_text=True
        ) or "Dieser Link ist ungültig" in r.get_data(as_text=True)
    assert rows(news) == {"c@example.org": "pending"}


def test_an_expired_link_is_400(
    make_app: Callable[..., Flask], news: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itsdangerous.timed

    app = make_app(confirm_max_age_days=1)
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    with monkeypatch.context() as clock:
        clock.setattr(
            itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) - 2 * 86400
        )
        link = signed_up(app, news)
    r = app.test_client().get(link, headers=JSON)
    assert r.status_code == 400 and r.get_json() == {"error": "invalid_token"}
    assert rows(news) == {"c@example.org": "pending"}


def test_the_confirmation_page_speaks_the_sign_ups_language(app: Flask, news: Path) -> None:
    link = signed_up(app, news, language="fr")
    r = app.test_client().get(link, headers={"Accept-Language": "de"})
    assert "Inscription confirmée" in r.get_data(as_text=True)


# --- /unsubscribe/TOKEN -------------------------------------------------------------------------


@pytest.fixture
def active(news: Path) -> str:
    subs = subscribers(news)
    subs.add("u@example.org", language="de")
    subs.close()
    return "/unsubscribe/" + make_token(SECRET, "u@example.org", "unsubscribe")


def status_of(news: Path, address: str) -> str | None:
    subs = subscribers(news)
    try:
        return subs.signup_status(address)
    finally:
        subs.close()


def test_the_unsubscribe_page_has_one_button_and_changes_nothing(
    client: FlaskClient, news: Path, active: str
) -> None:
    r = client.get(active)
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert page.count("<button") == 1 and f'action="{active}"' in page
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in page
    assert status_of(news, "u@example.org") == "active"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"),
        (b'--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n',
         "multipart/form-data; boundary=b"),
        (b"List-Unsubscribe=One-Click", None),
    ],
)  # fmt: skip
def test_one_click_unsubscribes_at_once_and_idempotently(
    client: FlaskClient, news: Path, active: str, body: bytes, content_type: str | None
) -> None:
    # a mail provider: no cookie, no CSRF token, its own Origin (or none)
    for _ in range(2):
        r = client.post(
            active, data=body, content_type=content_type, headers={"Origin": "https://mail.example"}
        )
        assert r.status_code == 200 and "Location" not in r.headers
        assert "Abgemeldet" in r.get_data(as_text=True)
        assert status_of(news, "u@example.org") == "unsubscribed"


def test_one_click_is_never_rate_limited(make_app: Callable[..., Flask], news: Path) -> None:
    client = make_app(requests_per_minute=1).test_client()
    subs = subscribers(news)
    for i in range(20):
        subs.add(f"p{i}@example.org")
    subs.close()
    for i in range(20):
        path = "/unsubscribe/" + make_token(SECRET, f"p{i}@example.org", "unsubscribe")
        assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert set(rows(news).values()) == {"unsubscribed"}


@pytest.mark.parametrize("body", [b"", b"List-Unsubscribe=Yes", b"unsubscribe=1"])
def test_a_post_without_the_one_click_body_changes_nothing(
    client: FlaskClient, news: Path, active: str, body: bytes
) -> None:
    r = client.post(active, data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert status_of(news, "u@example.org") == "active"


def test_a_tampered_unsubscribe_token_is_400(client: FlaskClient, news: Path, active: str) -> None:
    for path in (
        "/unsubscribe/" + flip_middle(active.removeprefix("/unsubscribe/")),
        "/unsubscribe/x",
        "/unsubscribe/" + make_token("other", "u@example.org"),
    ):
        assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 400
        assert client.get(path).status_code == 400
    assert status_of(news, "u@example.org") == "active"


def test_unsubscribing_an_unknown_address_answers_the_same(client: FlaskClient) -> None:
    path = "/unsubscribe/" + make_token(SECRET, "stranger@example.org", "unsubscribe")
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_unsubscribe_keeps_complained(client: FlaskClient, news: Path, active: str) -> None:
    subs = subscribers(news)
    subs.set_status("u@example.org", "complained")
    subs.close()
    assert client.post(active, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert status_of(news, "u@example.org") == "complained"
