"""Double opt-in in the subscriber list: pending sign-ups, their nonce, and the mail budget."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.delivery.subscribers import PENDING, SignupPolicy, SubscriberList
from newsletter.errors import NewsletterError
from tests.state import migrated

T0 = dt.datetime(2025, 11, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def subs(database_url: str) -> SubscriberList:
    return SubscriberList(migrated(database_url))


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_a_pending_sign_up_is_not_a_subscriber(subs: SubscriberList) -> None:
    r = subs.request_signup("Ada@Example.org", "fr", clock=lambda: T0)
    assert r.send and r.address == "Ada@example.org" and r.nonce
    assert subs.count() == 0 and list(subs.stream()) == []  # the sender never sees it
    assert subs.signup_status("ada@example.org") == PENDING
    assert subs.confirm_signup("ada@example.org", "wrong-nonce") == "unknown"
    assert subs.confirm_signup("ada@example.org", r.nonce) == "confirmed"
    s = subs.get("ada@example.org")
    assert s is not None and (s.status, s.language, s.source) == ("active", "fr", "web")
    assert subs.confirm_signup("ada@example.org", r.nonce) == "already_active"
    assert subs.pending_count() == 0


def test_no_mail_to_active_or_complained_addresses(subs: SubscriberList) -> None:
    subs.add("on@example.org")
    subs.add("spam@example.org")
    subs.set_status("spam@example.org", "complained")
    assert not subs.request_signup("on@example.org").send
    assert not subs.request_signup("spam@example.org").send
    assert subs.pending_count() == 0


def test_unsubscribed_and_bounced_may_come_back_by_confirming(subs: SubscriberList) -> None:
    for address, status in (("gone@example.org", "unsubscribed"), ("bounced@example.org", "bounced")):
        subs.add(address)
        subs.set_status(address, status)
        r = subs.request_signup(address)
        assert r.send
        assert subs.signup_status(address) == PENDING
        assert subs.confirm_signup(address, r.nonce) == "confirmed"
        assert subs.signup_status(address) == "active"


def test_the_mail_budget_per_address(subs: SubscriberList) -> None:
    policy = SignupPolicy(resend_after=dt.timedelta(minutes=10), max_sends=3, max_age=dt.timedelta(days=7))
    sent = [subs.request_signup("b@example.org", policy=policy, clock=lambda m=m: at(m)).send
            for m in (0, 5, 10.5, 11, 25, 40)]  # fmt: skip
    assert sent == [True, False, True, False, True, False]
    assert subs.request_signup("b@example.org", policy=policy, clock=lambda: at(60 * 24 * 7 + 30)).send


def test_a_failed_mail_is_given_back(subs: SubscriberList) -> None:
    r = subs.request_signup("c@example.org", clock=lambda: T0)
    assert not subs.request_signup("c@example.org", clock=lambda: at(1)).send
    subs.release_signup(r.address, r.nonce)
    again = subs.request_signup("c@example.org", clock=lambda: at(1))
    assert again.send and again.nonce == r.nonce


def test_unsubscribe_and_forget_drop_a_pending_sign_up(subs: SubscriberList) -> None:
    r = subs.request_signup("d@example.org")
    assert not subs.unsubscribe("d@example.org")  # nobody to unsubscribe, but the sign-up is gone
    assert subs.confirm_signup("d@example.org", r.nonce) == "unknown"
    subs.request_signup("e@example.org")
    assert not subs.forget("e@example.org")
    assert subs.pending_count() == 0


@pytest.mark.parametrize("address", ["no-at-sign", "a@example.org\r\nBcc: b@example.org", ""])
def test_invalid_addresses_are_refused_before_anything_is_stored(subs: SubscriberList, address: str) -> None:
    with pytest.raises(NewsletterError):
        subs.request_signup(address)
    assert subs.pending_count() == 0
