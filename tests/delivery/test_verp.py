"""VERP: every message's envelope sender carries a bounce token naming its issue and recipient."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from newsletter.delivery.tokens import (
    BadToken,
    make_verp_token,
    split_verp_token,
    verp_address,
    verp_matches,
    verp_token_of,
)
from tests.state import query

from .conftest import SECRET, add_subscribers
from .smtp_servers import smtp_server

ISSUE = "tag:example.org,2025-11-20:sample-issue"


def test_token_fits_a_local_part_and_verifies_only_for_its_recipient() -> None:
    token = make_verp_token(SECRET, ISSUE, 123456789, "Lila@Example.org")
    assert token == token.lower() and len(token) <= 34
    assert len("bounces+" + token) <= 64
    assert verp_matches(SECRET, token, "lila@example.org")  # case-insensitive, as MTAs may fold it
    assert verp_matches(SECRET, token.upper(), "lila@example.org")
    assert not verp_matches(SECRET, token, "other@example.org")
    assert not verp_matches("another-secret", token, "lila@example.org")
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert not verp_matches(SECRET, forged, "lila@example.org")


@pytest.mark.parametrize("bad", ["", "bounces", "12-abc-def", "x-aaaaaaaa-aaaaaaaaaaaa", "1-aaaaaaaa-aaaa"])
def test_a_token_of_another_shape_is_refused(bad: str) -> None:
    with pytest.raises(BadToken):
        split_verp_token(bad)


def test_address_round_trip_and_a_too_long_local_part_falls_back() -> None:
    token = make_verp_token(SECRET, ISSUE, 7, "a@example.org")
    assert verp_address("bounces@example.org", token) == f"bounces+{token}@example.org"
    assert verp_token_of(f"<bounces+{token}@example.org>") == token
    assert verp_token_of("bounces@example.org") is None
    long_local = "x" * 45 + "@example.org"
    assert verp_address(long_local, token) == long_local


def test_each_message_goes_out_with_its_own_envelope_sender(
    news: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    add_subscribers(news, ["a@example.org", "b@example.org"])
    store = tmp_path / "received"
    with smtp_server(store) as port:
        result = cli("send", "sample-issue", env={"NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    assert result.exit_code == 0, result.output
    ids = dict(query(news, "SELECT address, id FROM subscribers"))
    envelopes = dict(reversed(line.split()) for line in (store / "envelopes.log").read_text().splitlines())
    for address, subscriber_id in ids.items():
        local, _, domain = envelopes[address].partition("@")
        base, _, token = local.partition("+")
        assert (base, domain) == ("newsletter", "example.org")
        assert split_verp_token(token)[0] == subscriber_id
        assert verp_matches(SECRET, token, address)


def test_bounce_address_and_verp_off(news: Path, tmp_path: Path, cli: Callable[..., Result]) -> None:
    add_subscribers(news, ["a@example.org"])
    config = news / "newsletter.toml"
    config.write_text(
        config.read_text().replace(
            "[delivery]\n", "[delivery]\n" + 'bounce_address = "bounces@mail.example.org"\n'
        )
    )
    store = tmp_path / "received"
    with smtp_server(store) as port:
        assert (
            cli("send", "sample-issue", env={"NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}"}).exit_code
            == 0
        )
    (line,) = (store / "envelopes.log").read_text().splitlines()
    assert line.startswith("bounces+1-") and line.endswith("@mail.example.org a@example.org")
