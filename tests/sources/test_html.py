"""Article web pages -> Draft: metadata layers, body blocks, what is dropped, hostile input."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.errors import NewsletterError
from newsletter.html_tree import hrefs as html_hrefs
from newsletter.html_tree import html_tree
from newsletter.model import Block, Image
from newsletter.sources.draft import Draft
from newsletter.sources.html import read_html
from newsletter.sources.profiles import Profile, load_profiles

DATA = Path(__file__).parents[1] / "data" / "html"
PROFILES = load_profiles()


def read(name: str, **kwargs: str) -> Draft:
    path = DATA / name
    return read_html(path.read_text(encoding="utf-8"), profiles=PROFILES, path=str(path), **kwargs)


def blocks(draft: Draft) -> list[Block]:
    return [b for s in draft.article.sections for b in s.blocks]


def all_html(draft: Draft) -> str:
    return "\n".join(b.html for b in blocks(draft))


def all_text(draft: Draft) -> str:
    a = draft.article
    return "\n".join([a.title, a.summary, *a.headings, *(b.text for b in blocks(draft))])


def hrefs(draft: Draft) -> list[str]:
    return [href for b in blocks(draft) for href in html_hrefs(b.html)]


def link_labels(block: Block) -> list[str]:
    return [a.get_text() for a in html_tree(block.html).find_all(("a",))]


def srcs(draft: Draft) -> list[str]:
    return re.findall(r'src="([^"]*)"', all_html(draft))


# --- a Yoast page of a magazine: every layer present ------------------------------------------


def test_yoast_metadata_comes_from_json_ld_graph() -> None:
    d = read("yoast-novastan-de.html")
    a = d.article
    # JSON-LD headline wins over og:title and <title>, with its HTML entity decoded
    assert a.title == "Kasachstan: Beitritt zu den Abraham-Abkommen – wird sich Washingtons Geste auszahlen?"
    assert d.date == dt.datetime(2025, 11, 20, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert d.language == "de-DE"  # as the page says; the import takes the de edition
    assert d.profile == "novastan"
    # the description of Yoast's WebPage node, not the shorter og:description
    assert (
        a.summary
        == "Kasachstan tritt den Abraham-Abkommen bei. Was bringt der Schritt Astana – und was Washington?"
    )
    assert a.tags == ("Kasachstan", "Politik", "Abraham-Abkommen", "Israel", "USA")
    assert a.image == Image(
        "https://novastan.org/de/files/2025/11/toqaev-washington.jpg",
        "Qasym-Jomart Toqaev und Donald Trump in Washington",
        width=1200,
        height=675,
    )
    assert a.source_url == "https://novastan.org/de/kasachstan/kasachstan-abraham-abkommen/"


def test_yoast_byline_and_translator_move_to_credits() -> None:
    d = read("yoast-novastan-de.html")
    # the posting account "Novastan" (the site's name) is never an author; the byline is
    assert [p.name for p in d.article.authors] == ["Joseph Fischer"]
    assert [p.name for p in d.article.translators] == ["Margaret Bullich"]
    assert "für Novastan" not in all_text(d)
    assert "Aus dem Englischen" not in all_text(d)


def test_yoast_related_links_stand_where_they_were() -> None:
    d = read("yoast-novastan-de.html")
    a = d.article
    assert [(r.title, r.url) for r in a.related] == [
        (
            "China in Zentralasien – Factchecking, um mit Mythen aufzuräumen",
            "https://novastan.org/de/china-in-zentralasien-factchecking/",
        ),
        (
            "Was sind die Ergebnisse des USA-Zentralasien-Gipfels in Washington?",
            "https://novastan.org/de/usa-zentralasien-gipfel-ergebnisse/",
        ),
    ]
    second = a.sections[1]
    assert second.heading == "Ein geopolitischer Kurswechsel?"
    assert [b.kind for b in second.blocks] == ["paragraph", "related", "list", "video"]
    assert second.blocks[1] == Block("related", related_index=0)
    assert second.blocks[3] == Block("video", url="https://www.youtube.com/watch?v=abc123")
    assert [b.related_index for b in a.sections[2].blocks if b.kind == "related"] == [1]
    assert "Lest auch" not in all_text(d)


def test_yoast_sections_and_block_kinds() -> None:
    d = read("yoast-novastan-de.html")
    a = d.article
    assert a.headings == ("Ein geopolitischer Kurswechsel?", "Ein dringend benötigter Erfolg für Trump")
    assert [b.kind for b in a.sections[0].blocks] == ["paragraph"] * 3
    assert [b.kind for b in a.sections[2].blocks] == ["quote", "image", "paragraph", "related", "paragraph"]
    lead = a.sections[0].blocks[0]
    assert lead.html.startswith("<strong>Zwei Jahre")  # inline markup, no surrounding <p>
    assert "<em>keineswegs bahnbrechend</em>" in lead.html
    assert lead.text.startswith("Zwei Jahre nach Beginn")
    assert link_labels(lead)[0] == "Abraham-Abkommen"
    lst = a.sections[1].blocks[2]
    assert lst.html.startswith("<ul>")
    assert lst.text == "29 Abkommen mit den Vereinigten Staaten\nInvestitionen von 17 Milliarden US-Dollar"
    image = a.sections[2].blocks[1]
    assert 'alt="Die Präsidenten beim C5+1-Gipfel"' in image.html
    assert "<figcaption>" in image.html
    assert image.image == Image(
        "https://novastan.org/de/files/2025/11/c5-gipfel-1024x576.jpg",
        "Die Präsidenten beim C5+1-Gipfel",
        caption="Die Präsidenten beim C5+1-Gipfel in Washington",
        width=1024,
        height=576,
    )


def test_yoast_drops_donation_box_footer_share_comments_and_page_furniture() -> None:
    d = read("yoast-novastan-de.html")
    text, html = all_text(d), all_html(d)
    for gone in (
        "Unterstützt Novastan",  # donation box heading
        "vereinsgetragene",  # donation box text
        "Jetzt spenden",  # its button
        "Noch mehr Zentralasien",  # social footer
        "wöchentlichen Newsletter",
        "Teilen",  # share buttons
        "Spannender Artikel",  # comments
        "Abonniert",  # sidebar
        "Anzeige",  # written by a script
        "Zum Inhalt",  # skip link
        "Schlagwörter",  # entry footer
        "20. November 2025",  # entry meta
    ):
        assert gone not in text and gone not in html, gone


def test_yoast_sanitizes_and_makes_urls_absolute() -> None:
    d = read("yoast-novastan-de.html")
    html = all_html(d)
    for gone in ("<script", "<iframe", "youtube", "onclick", "stats.wp.com", "srcset", "style=", "class="):
        assert gone not in html, gone
    assert "https://novastan.org/de/tag/seltene-erden/" in hrefs(d)
    assert all(h.startswith("https://") for h in hrefs(d))
    assert all(s.startswith("https://") for s in srcs(d))
    # the link whose onclick was removed keeps its text and address
    assert "https://example.org/analyse" in hrefs(d)


def test_reading_is_deterministic() -> None:
    assert read("yoast-novastan-de.html") == read("yoast-novastan-de.html")


# --- pages with fewer layers -------------------------------------------------------------------


def test_og_and_article_meta_with_microformats() -> None:
    d = read("og-meta-microformats-fr.html")
    a = d.article
    assert a.title == "Ouzbékistan : la mer d’Aral, trente ans après"  # " | Novastan" stripped
    assert d.language == "fr-FR"  # from og:locale fr_FR
    assert d.date == dt.datetime(2025, 10, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert a.summary == "Dans le Karakalpakstan, les habitants réapprennent à vivre avec un désert de sel."
    assert a.tags == ("Ouzbékistan", "Mer d’Aral", "Environnement")
    assert a.image is not None
    assert (a.image.url, a.image.alt) == (
        "https://novastan.org/fr/files/2025/10/aral-moynaq.jpg",
        "Des bateaux échoués à Moynaq",
    )
    assert a.source_url == "https://novastan.org/fr/ouzbekistan/mer-d-aral-trente-ans-apres/"
    # article:author is a Facebook URL, not a name; the French byline names the author
    assert [p.name for p in a.authors] == ["Anna Dupont"]
    assert [p.name for p in a.translators] == ["Claire Martin"]
    assert [r.title for r in a.related] == ["Karakalpakstan : l’autonomie en question"]
    assert a.headings == ("Un désert de sel",)
    assert "pour Novastan" not in all_text(d)


def test_microformats_only() -> None:
    d = read("microformats-only-en.html")
    a = d.article
    assert a.title == "Why the Caspian is shrinking faster than expected"  # h1, not <title>
    assert [(p.name, p.url) for p in a.authors] == [
        ("Lena Park", "https://caspian-courier.example/authors/lena-park/")
    ]
    assert d.date == dt.datetime(2025, 9, 14, 6, 45, tzinfo=dt.UTC)
    assert a.tags == ("Caspian", "Climate")
    assert d.language == "en"  # no lang anywhere: detected from the text
    assert d.profile == "generic"
    assert a.summary.startswith("The Caspian Sea has lost")  # no description: first paragraph
    code = blocks(d)[-1]
    assert code.kind == "code"
    assert code.text == "level_2006 = -27.0\nlevel_2025 = -29.1"
    assert "Filed under" not in all_text(d)


def test_malformed_json_ld_is_ignored() -> None:
    d = read("malformed-json-ld.html")
    assert d.article.title == "Tadschikistan: Der Rogun-Staudamm wächst"
    assert d.date is None


def test_naive_dates_are_no_dates() -> None:
    assert read("naive-date.html").date is None


def test_site_name_and_organizations_are_never_authors() -> None:
    assert read("site-name-is-no-author.html").article.authors == ()


def test_wordpress_tag_and_category_classes_are_not_furniture() -> None:
    d = read("wordpress-taxonomy-classes.html")  # <article class="tag-social-media category-newsletter">
    assert [b.text[:22] for b in blocks(d)] == ["Turkmenistan blocks mo", "Authorities regularly "]
    assert "Share on X" not in all_text(d)


def test_xhtml_prolog_reads_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = read("xhtml-prolog.html")
    assert d.language == "fr"
    assert blocks(d)[0].html.endswith("intérieures.<br>Les clients y viennent pour le thé et le calme.")
    assert d.article.summary == (
        "À Bichkek, de plus en plus de cafés installent des yourtes dans leurs cours intérieures. "
        "Les clients y viennent pour le thé et le calme."
    )


def test_control_characters_and_lone_surrogates_are_dropped() -> None:
    # a str from a fetcher, not a file: decode_source never saw it
    d = read_html("<title>Con\x00trol</title><p>a\x00b\ud800c\x07d</p>", profiles=PROFILES, path="page.html")
    assert d.article.title == "Control"
    assert blocks(d)[0].text == "abcd"


# --- URLs ----------------------------------------------------------------------------------------


def test_relative_urls_resolve_against_the_canonical_link() -> None:
    d = read("relative-urls-canonical.html")
    assert hrefs(d) == [
        "https://novastan.org/en/tag/bishkek/",
        "https://novastan.org/en/kyrgyzstan/transport/",
        "https://novastan.org/en/kyrgyzstan/bishkek-tram/?page=2",
        "https://novastan.org/en/kyrgyzstan/bishkek-tram/#fn1",
        "https://cdn.novastan.org/photos/tram.jpg",
        "mailto:redaktion@novastan.org",
    ]
    # the page names no image of its own: its first figure with a caption is the lead image
    assert d.article.image is not None
    assert d.article.image.url == "https://novastan.org/en/kyrgyzstan/bishkek-tram/images/tram-map.png"
    assert srcs(d) == []


def test_base_url_wins_over_the_canonical_link() -> None:
    d = read("relative-urls-canonical.html", base_url="https://mirror.example/en/bishkek-tram/")
    assert hrefs(d)[0] == "https://mirror.example/en/tag/bishkek/"
    assert d.article.source_url == "https://novastan.org/en/kyrgyzstan/bishkek-tram/"


def test_relative_urls_without_any_base_are_dropped() -> None:
    d = read("relative-urls-without-base.html")
    assert hrefs(d) == ["https://novastan.org/en/"]
    assert blocks(d)[0].text == "See the archive and the home page."  # the link's text stays
    assert "<img" not in all_html(d)


def test_lazy_loaded_images_get_their_real_source() -> None:
    d = read("lazy-images.html")
    images = [b for b in blocks(d) if b.kind == "image"]
    assert [b.text for b in images] == ["Blue tiles on the Registan", "The tile workshop"]
    assert srcs(d) == [
        "https://novastan.org/en/files/2025/registan-tiles.jpg",
        "https://novastan.org/en/files/2025/workshop.jpg",
    ]
    assert "data:" not in all_html(d) and "srcset" not in all_html(d)


@pytest.mark.parametrize(
    ("srcset", "src"),
    [
        ("https://novastan.org/a-800.jpg 800w, https://novastan.org/a-1600.jpg 1600w", "a-1600.jpg"),
        ("https://novastan.org/b.jpg 2x,https://novastan.org/a.jpg 1x", "b.jpg"),
        (
            "https://novastan.org/w_800,h_600/a.jpg 800w, https://novastan.org/w_400,h_300/a.jpg 400w",
            "w_800,h_600/a.jpg",
        ),  # commas inside a URL
    ],
)
def test_an_image_with_only_a_srcset_shows_its_widest_picture(srcset: str, src: str) -> None:
    body = f'<p>Text before the picture.</p><figure><img srcset="{srcset}" alt="Tiles"></figure>'
    assert srcs(read_html(_page(body), profiles=PROFILES)) == [f"https://novastan.org/{src}"]


# --- the profile's text markers -----------------------------------------------------------------


def test_donation_text_glued_into_a_paragraph_is_cut_out() -> None:
    d = read("donation-glued-into-paragraph.html")
    assert [b.text for b in blocks(d)] == [
        "Das Parlament in Bischkek hat ein Gesetz verabschiedet, das ausländisch finanzierte "
        "Organisationen stärker kontrolliert.",
        "Kritiker sehen darin eine Kopie des russischen Gesetzes über ausländische Agenten.",
        "Mehrere Organisationen haben bereits angekündigt, ihre Arbeit einzustellen.",
    ]
    assert blocks(d)[1].html.startswith("Kritiker")  # no leftover <strong></strong><br>
    assert link_labels(blocks(d)[1])[0] == "ausländische Agenten"


def test_unclosed_donation_box_keeps_the_article_after_it() -> None:
    d = read("unclosed-donation-box.html")
    assert d.article.headings == ("Was sich geändert hat",)
    text = all_text(d)
    assert "Unterstützt Novastan" not in text and "vereinsgetragene" not in text
    assert "Die Regierung hat die Quoten für Baumwollbauern abgeschafft und Ernten privatisiert." in text
    assert "Menschenrechtler bleiben vorsichtig" in text


def test_byline_lines_in_one_paragraph_and_a_role_line() -> None:
    d = read("byline-lines-in-one-paragraph.html")
    assert [p.name for p in d.article.authors] == ["Aida Sultanova", "Jan Becker", "Paula Krause"]
    assert [p.name for p in d.article.translators] == ["Lea Wolf"]
    assert len(blocks(d)) == 1


def test_social_footer_ends_the_article_but_a_byline_after_it_counts() -> None:
    d = read("social-footer-ends-the-article.html")
    assert [b.text for b in blocks(d)] == [
        "Several ministries in Astana are trying out a four-day working week until the end of the year.",
        "Unions welcome the pilot.",
    ]
    assert [p.name for p in d.article.authors] == ["Aigerim Bekova"]


def test_explicit_profile_and_language_win() -> None:
    d = read("yoast-novastan-de.html", profile="generic")
    assert d.profile == "generic"
    assert "Joseph Fischer für Novastan" in all_text(d)  # generic rules know no Novastan byline
    assert read("relative-urls-canonical.html", language="de").language == "de"


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(NewsletterError, match="unknown profile 'nope'"):
        read("yoast-novastan-de.html", profile="nope")


def test_reads_without_any_profile() -> None:
    path = DATA / "microformats-only-en.html"
    empty: dict[str, Profile] = {}
    d = read_html(path.read_text(encoding="utf-8"), profiles=empty, path=str(path))
    assert d.article.title == "Why the Caspian is shrinking faster than expected"


# --- errors ---------------------------------------------------------------------------------------


def test_a_page_without_title_is_an_error() -> None:
    with pytest.raises(NewsletterError) as e:
        read("no-title.html")
    assert str(e.value).startswith(f"{DATA / 'no-title.html'}: has no article title")
    assert "\n" not in str(e.value)


def test_a_page_without_body_text_is_an_error() -> None:
    with pytest.raises(NewsletterError) as e:
        read("no-body-text.html")
    assert str(e.value).startswith(f"{DATA / 'no-body-text.html'}: has no article text")


# --- hostile input --------------------------------------------------------------------------------


def test_hostile_page_keeps_text_and_loses_every_vector() -> None:
    d = read("hostile-xss.html")
    html = all_html(d).lower()
    for gone in (
        "javascript",
        "vbscript",
        "data:",
        "<script",
        "<svg",
        "<math",
        "<style",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<button",
        "<template",
        "onerror",
        "onclick",
        "onload",
        "onmouseover",
        "srcdoc",
        "srcset",
        "style=",
        "expression(",
        "evil.example",
        "google-analytics",
        "alert(",
        "target=",
        'rel="opener"',
    ):
        assert gone not in html, gone
    text = all_text(d)
    assert "First safe sentence stays." in text
    assert "Last safe sentence stays." in text
    assert "a form field" not in text and "svg text" not in text
    # <base href> is ignored: relative links resolve against the canonical link
    assert "https://safe.example/articles/hostile/relative/page" in hrefs(d)
    assert all(h.startswith("https://") for h in hrefs(d))
    quote = next(b for b in blocks(d) if b.kind == "quote")
    assert quote.html == (
        '<blockquote><p>A quoted <a href="https://safe.example/source" rel="noopener noreferrer">'
        "source</a>.</p></blockquote>"
    )


def _page(body: str) -> str:
    return f"<html><head><title>Deep</title></head><body><article>{body}</article></body></html>"


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("<div>", "</div>"), ("<span><b>", "</b></span>"), ("<blockquote>", "</blockquote>"), ("<ul><li>", "")],
)
def test_ten_thousand_levels_of_nesting(opening: str, closing: str) -> None:
    # built here: a 10,000-level fixture file would be 100 KB of angle brackets
    body = "<p>Before the depths.</p>" + opening * 10_000 + "Deep down." + closing * 10_000 + "<p>After.</p>"
    d = read_html(_page(body), profiles=PROFILES)
    text = all_text(d)
    assert "Before the depths." in text and "Deep down." in text and "After." in text
    assert max(b.html.count("<blockquote") for b in blocks(d)) <= 64


def test_unclosed_tags_ten_thousand_deep() -> None:
    d = read_html(_page("<div><p><span><em>" * 10_000 + "Never closed."), profiles=PROFILES)
    assert "Never closed." in all_text(d)


def test_huge_attributes() -> None:
    body = (
        f'<p class="{"a" * 3_000_000}" data-x="{"b" * 2_000_000}">Text with a '
        f'<a href="https://example.org/{"c" * 100_000}" title="{"t" * 1_000_000}">link</a>.</p>'
    )
    d = read_html(_page(body), profiles=PROFILES)
    assert blocks(d)[0].text == "Text with a link."
    assert len(blocks(d)[0].html) < 1_300_000  # class and data-x are gone


_TAGS = ["p", "div", "a", "img", "h2", "h3", "ul", "li", "blockquote", "pre", "figure", "script", "svg", "br"]


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from([f"<{t}>" for t in _TAGS] + [f"</{t}>" for t in _TAGS]),
            st.sampled_from(['<a href="javascript:x">', '<img src="/i.png" alt="i">', "<p onclick=x>"]),
            st.text(max_size=20),
        ),
        max_size=60,
    )
)
def test_any_markup_gives_a_draft_or_one_newsletter_error(parts: list[str]) -> None:
    try:
        d = read_html(_page("".join(parts)), profiles=PROFILES, path="fuzz.html")
    except NewsletterError as e:
        assert str(e).startswith("fuzz.html: ")
        return
    html = all_html(d).lower()
    assert "javascript" not in html and "onclick" not in html and "<script" not in html
