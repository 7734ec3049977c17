"""The service's pages speak a known reader's language, from the list; the browser's only for others."""

from __future__ import annotations

import html
from pathlib import Path

from flask.testing import FlaskClient

from newsletter.delivery.tokens import make_token

from .conftest import SECRET, subscribers

GERMAN_BROWSER = {"Accept-Language": "de-DE,de;q=0.9"}


def _unsubscribe_link(news: Path, address: str, language: str | None) -> str:
    if language is not None:
        subs = subscribers(news)
        subs.add(address, language=language)
        subs.close()
    return "/unsubscribe/" + make_token(SECRET, address, "unsubscribe")


def test_a_french_subscribers_unsubscribe_page_is_french_whatever_the_browser(
    client: FlaskClient, news: Path
) -> None:
    link = _unsubscribe_link(news, "lea@example.org", "fr")
    page = html.unescape(client.get(link, headers=GERMAN_BROWSER).get_data(as_text=True))
    assert 'lang="fr"' in page and "Se désabonner de la lettre d’information" in page
    done = client.post(link, data={"List-Unsubscribe": "One-Click"}, headers=GERMAN_BROWSER)
    assert "Désabonnement effectué" in html.unescape(done.get_data(as_text=True))


def test_a_subscriber_without_a_language_gets_the_sites(client: FlaskClient, news: Path) -> None:
    link = _unsubscribe_link(news, "ohne@example.org", "")
    page = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="de"' in page and "Vom Newsletter abmelden" in page


def test_an_address_the_list_does_not_know_gets_the_browsers_language(
    client: FlaskClient, news: Path
) -> None:
    link = _unsubscribe_link(news, "fremd@example.org", None)
    page = client.get(link, headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in page and "Unsubscribe from this newsletter" in page
