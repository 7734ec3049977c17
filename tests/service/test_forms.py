"""The sign-up form's fields: a language is an edition, with the message every way in gives."""

from __future__ import annotations

import pytest

from newsletter.service.forms import FormError, parse_signup


def test_a_language_no_edition_has_is_the_one_message() -> None:
    with pytest.raises(FormError) as e:
        parse_signup({"email": "a@example.org", "language": "xx"}, ("de", "fr"), "de")
    assert e.value.problem == "invalid_language"
    assert e.value.detail == (
        "language 'xx' is not an edition of this newsletter; use one of de, fr, "
        "or add an [editions.xx] table to newsletter.toml"
    )


def test_a_regional_tag_signs_up_for_its_edition() -> None:
    assert parse_signup({"email": "a@example.org", "language": "fr-CH"}, ("de", "fr"), "de").language == "fr"
    assert parse_signup({"email": "a@example.org"}, ("de", "fr"), "de").language == "de"
