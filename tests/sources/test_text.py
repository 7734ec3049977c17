"""Text dumps -> Draft: title, headings, credits, related links, boilerplate gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.model import Article
from newsletter.sources.draft import Draft
from newsletter.sources.profiles import detect_profile, load_profiles
from newsletter.sources.text import read_text

TEXT = Path(__file__).parents[1] / "data" / "text"
PROFILES = load_profiles()


def read(name: str, profile: str | None = None) -> Draft:
    path = TEXT / name
    text = path.read_text(encoding="utf-8")
    p, rules = detect_profile(text, PROFILES, profile=profile)
    return read_text(text, rules=rules, profile_name=p.name, path=str(path))


def paragraphs(article: Article) -> list[str]:
    return [b.text for s in article.sections for b in s.blocks if b.kind == "paragraph"]


def body_text(article: Article) -> str:
    return "\n".join(b.text for s in article.sections for b in s.blocks)


def test_sample_reads_title_last_credits_and_headings() -> None:
    draft = read("novastan-sample.de.txt")
    a = draft.article
    assert (draft.language, draft.profile) == ("de", "novastan")
    assert a.title == "Kasachstan Beitritt zu den Abraham-Abkommen: Wird sich Washingtons Geste auszahlen?"
    assert [p.name for p in a.authors] == ["Joseph Fischer"]
    assert [p.name for p in a.translators] == ["Margaret Bullich"]
    assert a.headings == (
        "Ein geopolitischer Kurswechsel?",
        "Ein dringend benötigter Erfolg für Trump",
        "Die Zukunft der kasachstanisch-amerikanischen Zusammenarbeit",
    )
    assert paragraphs(a)[0].startswith("Zwei Jahre nach Beginn des Krieges in Gaza")
    assert a.summary.startswith("Zwei Jahre nach Beginn") and len(a.summary) <= 300


def test_sample_related_links_stand_where_they_were() -> None:
    a = read("novastan-sample.de.txt").article
    assert [r.title for r in a.related] == [
        "China in Zentralasien – Factchecking, um mit Mythen aufzuräumen",
        "Was sind die Ergebnisse des USA-Zentralasien-Gipfels in Washington?",
        "Wladimir Putin in Kirgistan: Rückblick auf einen symbolträchtigen Staatsbesuch",
    ]
    marks = [(s.heading, b.related_index) for s in a.sections for b in s.blocks if b.kind == "related"]
    assert marks == [
        ("Ein geopolitischer Kurswechsel?", 0),
        ("Ein dringend benötigter Erfolg für Trump", 1),
        ("Die Zukunft der kasachstanisch-amerikanischen Zusammenarbeit", 2),
    ]


def test_sample_donation_box_glued_to_next_paragraph_is_cut_off() -> None:
    a = read("novastan-sample.de.txt").article
    assert any(p.startswith("Im Gegensatz zu allen bisherigen Mitgliedern") for p in paragraphs(a))
    body = body_text(a)
    for gone in ("Unterstützt Novastan", "vereinsgetragene", "Social Media Kanälen", "für Novastan"):
        assert gone not in body


def test_french_dump_with_narrow_no_break_spaces() -> None:
    draft = read("novastan-glued-donation.fr.txt")
    a = draft.article
    assert (draft.language, draft.profile) == ("fr", "novastan")
    assert a.title == "Au Kirghizstan, la nouvelle route Bichkek-Och entre espoirs et dettes"
    assert [p.name for p in a.authors] == ["Jeanne Martin"]
    assert [p.name for p in a.translators] == ["Paul Durand", "Léa Petit"]
    assert [r.title for r in a.related] == ["La Chine en Asie centrale\u202f: mythes et réalités"]
    assert a.headings == ("Une dépendance croissante\u202f?",)
    assert any(p.startswith("Pour les habitants des vallées") for p in paragraphs(a))
    body = body_text(a)
    assert "Soutenez Novastan" not in body and "Suivez-nous" not in body and "abonnant" not in body


def test_english_dump_with_hyphens_for_dashes() -> None:
    a = read("novastan-article.en.txt").article
    assert a.title == "Uzbekistan reforms water management as droughts worsen"
    assert [p.name for p in a.authors] == ["Dilnoza Karimova", "Tom Becker"]
    assert [p.name for p in a.translators] == ["Anna Schmidt"]
    assert [r.title for r in a.related] == ["Aral Sea: can the northern part be saved?"]
    assert a.headings == ("A thirsty region",)
    assert any(p.startswith("The reform comes after two summers") for p in paragraphs(a))
    assert "Support Novastan" not in body_text(a) and "Follow us" not in body_text(a)


def test_donation_heading_with_hyphen_minus() -> None:
    a = read("donation-hyphen.de.txt").article
    assert [p[:20] for p in paragraphs(a)] == ["Die Regierung Tadsch", "Nachbarländer am Unt"]
    assert [p.name for p in a.authors] == ["Kasym Nurow"]


def test_blank_lines_title_first_and_hard_wrapped_paragraphs() -> None:
    a = read("blank-lines-title-first.de.txt").article
    assert a.title == "Turkmenistan lockert die Visaregeln für Reisende"
    first = paragraphs(a)[0]
    assert first.startswith("Nach Jahren der Abschottung") and first.endswith("beantragen können.")
    assert "\n" not in first and "Visaregeln für Touristen" in first
    assert a.headings == ("Ein vorsichtiger Schritt",)
    assert [r.title for r in a.related] == ["Aschgabat, die weiße Stadt aus Marmor"]
    assert [p.name for p in a.authors] == ["Anna Berg"]  # name line + "Redakteurin für Novastan"
    assert len(paragraphs(a)) == 3
    assert "vereinsgetragene" not in body_text(a) and "Social Media" not in body_text(a)


def test_generic_profile_reads_by_lines_and_read_also() -> None:
    draft = read("generic-byline.en.txt", profile="generic")
    a = draft.article
    assert draft.profile == "generic"
    assert a.title == "Water reform in the Fergana valley"
    assert [p.name for p in a.authors] == ["Anna Smith", "Ben Jones"]
    assert [p.name for p in a.translators] == ["Carl Weber"]
    assert [r.title for r in a.related] == ["Cotton harvest without forced labour"]


def test_short_line_before_short_paragraph_is_no_heading() -> None:
    a = read("short-sentence-not-heading.de.txt").article
    assert a.headings == ()
    assert "Kritiker warnen vor Zensur" in paragraphs(a)


def test_paragraph_html_is_escaped() -> None:
    a = read("novastan-sample.de.txt").article
    block = a.sections[0].blocks[0]
    assert block.html == block.text  # no markup in a dump; & and < would be escaped


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("empty.txt", r"empty\.txt: is empty"),
        ("only-title.de.txt", r"only-title\.de\.txt: has a title .* but no body paragraphs"),
        ("no-title.de.txt", r"no-title\.de\.txt:2: no title found"),
    ],
)
def test_errors_name_the_file(fixture: str, message: str) -> None:
    with pytest.raises(NewsletterError, match=message):
        read(fixture)


def test_title_first_without_blank_line_when_last_line_is_a_byline() -> None:
    a = read("title-first-no-blank-line.en.txt").article
    assert a.title == "Kazakhstan opens its first nuclear power plant tender"
    assert [p.name for p in a.authors] == ["Aruzhan Sadykova"]
    assert a.headings == ("Who will build it",)
    assert paragraphs(a)[0].startswith("Kazakhstan has invited")


def test_stray_blank_lines_do_not_join_one_per_line_paragraphs() -> None:
    a = read("stray-blank-lines.de.txt").article
    assert a.title == "Usbekistan setzt auf Inlandsflüge"
    assert len(paragraphs(a)) == 4
    assert a.headings == ("Neue Flughäfen im Westen",)


def test_footer_after_the_title_line() -> None:
    a = read("footer-after-title.de.txt").article
    assert a.title == "Der nördliche Aralsee wächst wieder"
    assert len(paragraphs(a)) == 2


def test_photo_caption_is_no_heading() -> None:
    a = read("caption-not-heading.de.txt").article
    assert a.headings == ()
    assert "Ein Bergdorf im Pamir (Foto: Novastan)" in paragraphs(a)
