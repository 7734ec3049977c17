from __future__ import annotations

import pytest

from newsletter.delivery.tokens import BadToken, make_token, secret_from_env, verify_token
from newsletter.errors import NewsletterError


def test_token_round_trip_and_is_url_safe() -> None:
    token = make_token("s3cret", "Lila.Ahmadi+news@example.org")
    assert verify_token("s3cret", token, "unsubscribe") == "Lila.Ahmadi+news@example.org"
    assert all(c.isalnum() or c in "-_." for c in token)


def test_unsubscribe_tokens_are_deterministic() -> None:
    assert make_token("k", "a@example.org") == make_token("k", "a@example.org")


@pytest.mark.parametrize(
    "secret, purpose", [("other-secret", "unsubscribe"), ("s3cret", "confirm")], ids=["secret", "purpose"]
)
def test_token_is_bound_to_secret_and_purpose(secret: str, purpose: str) -> None:
    token = make_token("s3cret", "a@example.org")
    with pytest.raises(BadToken):
        verify_token(secret, token, purpose)


def test_tampered_token_is_refused() -> None:
    token = make_token("s3cret", "a@example.org")
    forged = make_token("s3cret", "b@example.org").split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(BadToken):
        verify_token("s3cret", forged)


def test_timed_token_expires() -> None:
    token = make_token("s3cret", "a@example.org", "confirm", timed=True)
    assert verify_token("s3cret", token, "confirm", max_age=60) == "a@example.org"
    with pytest.raises(BadToken):
        verify_token("s3cret", token, "confirm", max_age=-1)


def test_missing_secret_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET", raising=False)
    with pytest.raises(NewsletterError, match="NEWSLETTER_SECRET is not set") as e:
        secret_from_env()
    assert "\n" not in str(e.value)
