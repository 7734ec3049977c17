"""CSRF tokens bound to a cookie, and the origin a browser claims."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import Headers

from newsletter.service import csrf

SECRET = "csrf-test-secret"


def test_a_token_matches_its_cookie_only() -> None:
    cookie = csrf.new_cookie_value()
    token = csrf.form_token(SECRET, cookie)
    assert csrf.token_matches(SECRET, cookie, token)
    assert not csrf.token_matches(SECRET, csrf.new_cookie_value(), token)
    assert not csrf.token_matches("another-secret", cookie, token)
    # a character inside the signature (the last one may only carry base64 padding bits)
    i = len(token) - 10
    tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    assert not csrf.token_matches(SECRET, cookie, tampered)
    assert not csrf.token_matches(SECRET, None, token)
    assert not csrf.token_matches(SECRET, cookie, None)
    assert not csrf.token_matches(SECRET, cookie, "x" * 600)


def test_a_token_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    cookie = csrf.new_cookie_value()
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) - csrf.MAX_AGE - 10
    )
    token = csrf.form_token(SECRET, cookie)
    monkeypatch.undo()
    assert not csrf.token_matches(SECRET, cookie, token)


@pytest.mark.parametrize(
    ("headers", "origin"),
    [
        ({"Origin": "https://news.example.org"}, "https://news.example.org"),
        ({"Origin": "null", "Referer": "https://news.example.org/a/"}, "https://news.example.org"),
        ({"Referer": "https://news.example.org:443/a/?b"}, "https://news.example.org"),
        ({"Origin": "https://a.example", "Referer": "https://news.example.org/"}, "https://a.example"),
        ({}, ""),
    ],
)
def test_request_origin(headers: dict[str, str], origin: str) -> None:
    assert csrf.request_origin(Headers(headers)) == origin
