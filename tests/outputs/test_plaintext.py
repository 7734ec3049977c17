"""The plain-text part: wrapped, with numbered link references, never a line over 998 octets."""

from __future__ import annotations

import random
import re
import textwrap
from pathlib import Path

import pytest
from factories import email_issue

from newsletter.model import Site
from newsletter.outputs.message import UNSUBSCRIBE_PLACEHOLDER
from newsletter.outputs.plaintext import (
    MAX_LINE_OCTETS,
    WIDTH,
    fold_long_lines,
    render_text,
    wrap,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


issue = email_issue


def text_of(site: Site, name: str) -> str:
    return render_text(site, issue(name), TEMPLATES)


@pytest.fixture(scope="module")
def sample_text(email_site: Site) -> str:
    return text_of(email_site, "kasachstan-abraham-abkommen.md")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_paragraphs_wrap_at_72_columns(sample_text: str) -> None:
    lines = sample_text.split("\n")
    assert max(len(line) for line in lines if "://" not in line) <= WIDTH
    assert sum(len(line) > 60 for line in lines) > 20  # wrapped, not one word per line


def test_title_credits_and_headings(sample_text: str, email_site: Site) -> None:
    sample = issue("kasachstan-abraham-abkommen.md")
    assert sample_text.startswith("Novastan Newsletter\nAusgabe vom 20. November 2025\n\n")
    assert "Von Joseph Fischer\nÜbersetzt von Margaret Bullich\n" in sample_text
    for heading in sample.article.headings:
        assert f"\n\n{heading}\n{'-' * len(heading)}\n\n" in sample_text
    assert "auszahlen?\n" + "=" * WIDTH + "\n" in sample_text


def test_lead_paragraph_appears_once(sample_text: str) -> None:
    assert flat(sample_text).count("Zwei Jahre nach Beginn des Krieges in Gaza") == 1


def test_links_become_numbered_references(sample_text: str) -> None:
    text = flat(sample_text)
    assert "laut Astana Times [1] 29 Abkommen" in text
    assert "einen Bericht [3], in dem" in text
    refs = dict(re.findall(r"^\[(\d+)\] (\S+)$", sample_text, re.M))
    assert refs["1"] == "https://astanatimes.com/2025/11/kazakhstan-us-sign-29-agreements/"
    assert refs["3"] == "https://www.ohchr.org/en/hr-bodies/hrc/co-israel/index"
    assert len(refs) == 5  # two inline links and three related articles


def test_related_links_inline_and_as_a_list_share_numbers(sample_text: str) -> None:
    text = flat(sample_text)
    assert (
        "Lest auch auf Novastan: China in Zentralasien – Factchecking, um mit Mythen aufzuräumen [2]" in text
    )
    block = sample_text.split("\nLest auch auf Novastan\n----------------------\n", 1)[1].split("\n\n")[0]
    assert re.findall(r"\[(\d)\]", block) == ["2", "4", "5"]


def test_call_to_action_once_with_its_url_and_not_in_the_body(sample_text: str, email_site: Site) -> None:
    cta = email_site.edition("de").call_to_action
    assert cta is not None
    text = flat(sample_text)
    assert text.count(flat(cta.text)) == 1 and text.count(cta.title) == 1
    assert f"{cta.button}:\n{cta.url}\n" in sample_text
    body = sample_text.split("\nLinks\n-----\n")[0]
    assert cta.title not in body


def test_footer(sample_text: str, email_site: Site) -> None:
    assert (
        "Im Browser ansehen:\nhttps://newsletter.novastan.org/issues/kasachstan-abraham-abkommen/\n"
        in sample_text
    )
    assert f"Vom Newsletter abmelden:\n{UNSUBSCRIBE_PLACEHOLDER}\n" in sample_text
    assert sample_text.count(UNSUBSCRIBE_PLACEHOLDER) == 1
    assert "- LinkedIn: https://www.linkedin.com/company/novastan/" in sample_text
    assert flat(email_site.imprint) in flat(sample_text)
    assert sample_text.endswith("\n") and not sample_text.endswith("\n\n")


def test_no_trailing_spaces_no_control_characters(sample_text: str) -> None:
    assert all(line == line.rstrip() for line in sample_text.split("\n"))
    assert not re.search(r"[\x00-\x09\x0b-\x1f]", sample_text)


def test_two_thousand_character_url_never_makes_a_line_over_998_octets(email_site: Site) -> None:
    text = text_of(email_site, "long-url-2000-chars.md")
    assert max(len(line.encode("utf-8")) for line in text.split("\n")) <= MAX_LINE_OCTETS
    url = issue("long-url-2000-chars.md").article.related[0].url
    assert url is not None and len(url) > 2000
    # RFC 3986 appendix C: the URL in <…>, split over lines; joining them gives it back whole.
    bracketed = re.search(r"^\[1\] <(.*?)>$", text, re.M | re.S)
    assert bracketed and bracketed.group(1).replace("\n", "") == url
    assert "very long link [1] in the middle" in text


def test_folding_respects_multibyte_characters() -> None:
    line = "ä" * 600  # 1,200 octets
    folded = fold_long_lines(line)
    assert all(len(part.encode("utf-8")) <= MAX_LINE_OCTETS for part in folded.split("\n"))
    assert folded.replace("\n", "") == line


def test_related_link_without_url_has_no_number(email_site: Site) -> None:
    text = text_of(email_site, "related-without-url.md")
    assert "Lest auch auf Novastan: Ein Artikel, den kein Index kennt\n" in text
    assert "- Ein Artikel, den kein Index kennt\n" in text
    assert "[1] https://novastan.org/de/ein-artikel-mit-adresse/" in text


def test_lists_quotes_code_tables_and_images(email_site: Site) -> None:
    text = text_of(email_site, "en-rich-blocks.md")
    assert "1. First, with a link [1]\n2. Second\n   - nested item\n   - another nested item" in text
    assert "> A quotation over two paragraphs.\n>\n> The second one, with a link [2]." in text
    assert "$ newsletter build\nbuilt 1 issue" in text
    assert "Kazakhstan | Astana" in text
    assert "[A map of Central Asia]" in text
    assert "bold, italic and code.\nA line break" in text  # <br> is a line break
    assert "a link to https://novastan.org/en/ written out" in flat(text)  # no [n] for a bare URL
    assert "Reach the editors at redaktion@novastan.org." in flat(text)
    assert "By Joseph Fischer\nTranslated by Margaret Bullich" in text


def test_escaped_markup_stays_text(email_site: Site) -> None:
    text = text_of(email_site, "title-with-markup.md")
    assert 'Tom & Jerry <script>alert(1)</script> "quoted"' in text
    assert "&amp;" not in text and "&lt;" not in text


def test_renders_are_identical(email_site: Site, sample_text: str) -> None:
    assert text_of(email_site, "kasachstan-abraham-abkommen.md") == sample_text


def test_french_issue_uses_french_words_and_typography(email_site: Site) -> None:
    text = text_of(email_site, "fr-related-colon.md")
    assert "Numéro du 27 novembre 2025" in text
    assert "Lire aussi sur Novastan\u202f: La Chine en Asie centrale [1]" in text
    assert "Je soutiens Novastan\u202f:\nhttps://novastan.org/fr/soutenir/" in text
    assert "\nLiens\n-----\n[1] https://novastan.org/fr/chine/" in text


# --- the fast wrapper gives what textwrap gives -----------------------------------------------


def test_wrap_is_textwrap_for_every_mix_of_words_and_indents() -> None:
    rng = random.Random(5)
    pieces = [
        "a",
        "bb",
        "Straße",
        "x" * 30,
        "y" * 71,
        "z" * 72,
        "w" * 73,
        " ",
        " ",
        "\xa0",
        "\u2003",
        "\x00[1]",
    ]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 50)))
        first, rest = " " * rng.choice([0, 2, 71, 75]), " " * rng.choice([0, 3, 72])
        words = " ".join(re.split(r"[ \t\r\f\v\n]+", text)).strip()
        expected = (
            textwrap.wrap(
                words,
                width=WIDTH,
                initial_indent=first,
                subsequent_indent=rest,
                break_long_words=False,
                break_on_hyphens=False,
            )
            if words
            else []
        )
        assert wrap(text, first, rest) == expected, (text, first, rest)
