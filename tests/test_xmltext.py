"""The one XML-safe text function, checked against what lxml and UTF-8 actually accept."""

from __future__ import annotations

import dataclasses

from factories import email_site, make_article, make_issue
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from newsletter.model import Edition, Person, Section
from newsletter.xmltext import xml_safe, xml_text


def lxml_accepts(text: str) -> bool:
    try:
        etree.Element("t").text = text
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return False
    return True


def test_strips_only_what_xml_forbids():
    assert xml_text("a\x00b\x08c\x0bd\x0ce\x1ff\ufffeg\uffffh\ud800i\udfffj") == "abcdefghij"
    kept = "tab\t nl\n cr\r del\x7f nbsp\xa0 emoji 😀 bmp-end \ufffd"
    assert xml_text(kept) == kept


@given(st.text(alphabet=st.characters(codec=None)))
def test_result_is_always_accepted_and_accepted_text_is_unchanged(text: str):
    assert lxml_accepts(xml_text(text))
    if lxml_accepts(text):
        assert xml_text(text) == text


def test_every_forbidden_code_point_is_one_lxml_refuses():
    forbidden = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + [
        "\ufffe",
        "\uffff",
        "\ud800",
        "\udfff",
    ]
    for char in forbidden:
        assert not lxml_accepts(f"a{char}b")
        assert xml_text(f"a{char}b") == "ab"


def test_xml_safe_cleans_a_whole_issue():
    article = make_article(
        "Vertikaler\x0bTab",
        sections=(Section("Zwischen\x1ftitel", ()),),
        authors=(Person("Joseph\x01 Fischer", "https://example.org/\ud800"),),
        tags=("a\x0c",),
    )
    issue = make_issue(article)
    clean = xml_safe(issue)
    assert clean.article.title == "VertikalerTab"
    assert clean.article.sections[0].heading == "Zwischentitel"
    assert clean.article.authors[0] == Person("Joseph Fischer", "https://example.org/")
    assert clean.article.tags == ("a",)
    assert clean.date == issue.date
    assert xml_safe(clean) == clean


def test_xml_safe_copies_nothing_that_is_already_clean():
    section = Section("Zwischentitel", ())
    article = make_article(sections=(section, Section("B\x01", ())))
    issue = make_issue(article)
    clean = xml_safe(issue)
    assert xml_safe(clean) is clean  # nothing to drop: the very same object
    assert clean.article.sections[0] is section  # only the part that changed is new
    assert clean.article.sections[1].heading == "B"
    assert xml_safe({"k": ["a", ("b",)]}) == {"k": ["a", ("b",)]}
    assert xml_safe({"k\x02": ["a\x03"]}) == {"k": ["a"]}


def test_a_value_cleaned_again_is_the_same_and_a_mutable_one_is_walked_again() -> None:
    section = Section("Zwischen\x1ftitel", ())
    clean = xml_safe(section)
    assert clean.heading == "Zwischentitel"
    assert xml_safe(clean) is clean
    words = {"a": "ok"}
    assert xml_safe(words) is words
    words["b"] = "bad\x01"  # a dict may change between calls: never taken as known clean
    assert xml_safe(words) == {"a": "ok", "b": "bad"}


def test_a_site_is_cleaned_once_and_a_list_inside_a_value_is_walked_again() -> None:
    site = dataclasses.replace(
        email_site(), title="Novastan\x07", editions={"fr": Edition("fr", title="Novastan FR")}
    )
    clean = xml_safe(site)
    assert clean.title == "Novastan" and xml_safe(clean) is clean  # the editions dict is config
    labels = [Person("Leserin")]
    holder = Section("Titel", labels)  # type: ignore[arg-type]  # a list where a tuple goes
    assert xml_safe(holder) is holder
    labels.append(Person("Bad\x01"))  # a list may change between calls: never taken as known clean
    assert xml_safe(holder).blocks[1].name == "Bad"  # type: ignore[attr-defined]
