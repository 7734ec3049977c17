"""The threaded server keeps tokens out of its log."""

from __future__ import annotations

from newsletter.service.server import redact


def test_tokens_never_reach_the_log() -> None:
    assert redact("GET /confirm/eyJhIjoiYiJ9.abc.def HTTP/1.1") == "GET /confirm/… HTTP/1.1"
    assert redact("POST /unsubscribe/ImxpbGFAZXhhbXBsZS5vcmci.sig?x=1 HTTP/1.1") == (
        "POST /unsubscribe/…?x=1 HTTP/1.1"
    )
    assert redact("GET /subscribe HTTP/1.1") == "GET /subscribe HTTP/1.1"
