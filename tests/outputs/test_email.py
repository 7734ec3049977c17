"""The HTML email: structure, localisation, links, size and determinism (no browser needed)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from factories import email_issue

from newsletter.errors import NewsletterError
from newsletter.model import Issue, Site
from newsletter.outputs.email import (
    PREHEADER_MAX,
    compile_mjml,
    email_templates,
    preheader_text,
    render_email,
    render_mjml,
)
from newsletter.outputs.message import UNSUBSCRIBE_PLACEHOLDER

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
MAX_EMAIL_BYTES = 102_000


issue = email_issue


@pytest.fixture(scope="module")
def sample() -> Issue:
    return issue("kasachstan-abraham-abkommen.md")


@pytest.fixture(scope="module")
def sample_html(email_site: Site, sample: Issue) -> str:
    return render_email(email_site, sample, TEMPLATES)


@pytest.fixture(scope="module")
def soup(sample_html: str) -> BeautifulSoup:
    return BeautifulSoup(sample_html, "html.parser")


def one(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select(selector)
    assert len(found) == 1, f"{selector}: {len(found)} matches"
    return found[0]


def words(node: BeautifulSoup | Tag) -> str:
    return " ".join(node.get_text(" ").split())


def preheader_div(soup: BeautifulSoup) -> Tag:
    body = soup.body
    assert body is not None
    first = body.find("div")
    assert isinstance(first, Tag) and "display:none" in str(first.get("style", "")).replace(" ", "")
    return first


def test_language_and_direction(soup: BeautifulSoup) -> None:
    html = one(soup, "html")
    assert html["lang"] == "de" and html["dir"] == "ltr"


def test_preheader_is_hidden_and_does_not_repeat_the_first_line(soup: BeautifulSoup, sample: Issue) -> None:
    text = words(preheader_div(soup)).replace("\u200c", "").strip()
    assert text.startswith("Auch wenn Toqaevs Risiko")  # the summary's second sentence
    assert not sample.article.summary.startswith(text.rstrip("…"))
    assert len(preheader_text(sample)) <= PREHEADER_MAX
    assert "\u200c" in preheader_div(soup).get_text()  # padded so the body does not leak in


def test_preheader_padding_is_written_as_it_always_was(sample_html: str) -> None:
    """The padding is given as characters (cheaper to inline than entities); the email carries
    it as before: each zero-width non-joiner as itself, each no-break space as `&nbsp;`."""
    assert "\u200c&nbsp;" * 60 + "</div>" in sample_html
    assert "&zwnj;" not in sample_html and "\u00a0" not in sample_html


def test_head_declares_light_and_dark(soup: BeautifulSoup, sample_html: str) -> None:
    assert one(soup, 'meta[name="color-scheme"]')["content"] == "light dark"
    assert one(soup, 'meta[name="supported-color-schemes"]')["content"] == "light dark"
    assert "@media (prefers-color-scheme: dark)" in sample_html
    assert "max-width: 480px" in sample_html  # the phone layout's media query survived inlining
    assert 'role="presentation"' in sample_html and "<!--[if mso | IE]>" in sample_html


def test_masthead_title_and_credits(soup: BeautifulSoup, sample: Issue, email_site: Site) -> None:
    assert words(one(soup, ".masthead")) == "Novastan Newsletter"
    # "view in browser" at the top too, beside the date
    assert words(one(soup, ".dateline")) == "Ausgabe vom 20. November 2025 · Im Browser ansehen"
    assert one(soup, ".dateline a")["href"] == email_site.issue_url(sample)
    assert words(one(soup, "h1.title")) == sample.article.title
    assert one(soup, "title").get_text() == sample.article.title
    byline = words(one(soup, ".byline"))
    assert "Von Joseph Fischer" in byline
    assert "Übersetzt von Margaret Bullich" in byline


def test_lead_paragraph_is_the_standfirst_and_shown_once(soup: BeautifulSoup, sample: Issue) -> None:
    assert words(one(soup, ".standfirst")) == sample.article.summary
    assert words(soup).count(sample.article.summary[:60]) == 1


def test_body_has_the_three_subheadings(soup: BeautifulSoup, sample: Issue) -> None:
    headings = [words(h) for h in one(soup, ".article").select("h2")]
    assert headings == list(sample.article.headings)


def test_related_links_inline_and_as_a_block(soup: BeautifulSoup, sample: Issue) -> None:
    inline = one(soup, ".article").select("p.related")
    assert [words(p) for p in inline] == [
        f"Lest auch auf Novastan: {r.title}" for r in sample.article.related
    ]
    block = one(soup, ".related-block")
    assert words(one(block, "h2")) == "Lest auch auf Novastan"
    links = [(a["href"], words(a)) for a in block.select("li a")]
    assert links == [(r.url, r.title) for r in sample.article.related]


def test_call_to_action_once_and_outside_the_body(
    soup: BeautifulSoup, sample_html: str, email_site: Site
) -> None:
    cta = email_site.edition("de").call_to_action
    assert cta is not None
    assert sample_html.count(cta.title) == 1 and sample_html.count(cta.text) == 1
    assert cta.title not in words(one(soup, ".article"))
    button = one(soup, ".btn a")
    assert button["href"] == cta.url and words(button) == cta.button
    assert one(soup, ".article").find_parent(class_="cta") is None


def test_footer_links(soup: BeautifulSoup, sample_html: str, sample: Issue, email_site: Site) -> None:
    footer = one(soup, ".footer")
    hrefs = [a["href"] for a in footer.select("a")]
    assert [s.url for s in email_site.social] == hrefs[: len(email_site.social)]
    assert email_site.issue_url(sample) in hrefs
    assert sample_html.count(UNSUBSCRIBE_PLACEHOLDER) == 1
    unsubscribe = footer.find("a", href=UNSUBSCRIBE_PLACEHOLDER)
    assert isinstance(unsubscribe, Tag) and words(unsubscribe) == "Vom Newsletter abmelden"
    assert "Folgt uns: X · Facebook · LinkedIn · Telegram" in words(footer)
    assert email_site.imprint in words(footer)


def test_nothing_remote_no_script_no_tracking(
    soup: BeautifulSoup, sample_html: str, email_site: Site
) -> None:
    assert "fonts.googleapis" not in sample_html and "@import" not in sample_html
    assert "<script" not in sample_html.lower()
    assert soup.find("link") is None
    # the sample has no pictures: the configured logo is the only image, no pixel, no icon
    assert [img["src"] for img in soup.find_all("img")] == ([email_site.logo] if email_site.logo else [])
    for a in soup.find_all("a"):
        href = a["href"]
        assert href == UNSUBSCRIBE_PLACEHOLDER or href.startswith(("https://", "mailto:")), href


def test_sample_stays_under_gmails_clipping_size(sample_html: str) -> None:
    assert len(sample_html.encode("utf-8")) < MAX_EMAIL_BYTES


def test_renders_are_byte_identical(email_site: Site, sample: Issue, sample_html: str) -> None:
    email_templates.cache_clear()
    assert render_email(email_site, sample, TEMPLATES) == sample_html


def test_render_is_fast(email_site: Site, sample: Issue) -> None:
    render_email(email_site, sample, TEMPLATES)
    start = time.perf_counter()
    for _ in range(10):
        render_email(email_site, sample, TEMPLATES)
    assert (time.perf_counter() - start) / 10 < 0.25  # ~10 ms here; generous for slow CI


def test_related_link_without_url_is_text_not_a_dead_link(email_site: Site) -> None:
    html = render_email(email_site, issue("related-without-url.md"), TEMPLATES)
    soup = BeautifulSoup(html, "html.parser")
    assert 'href=""' not in html
    assert "Ein Artikel, den kein Index kennt" in words(one(soup, ".related-block"))
    assert [words(a) for a in one(soup, ".related-block").select("a")] == ["Ein Artikel mit Adresse"]


def test_given_preheader_wins(email_site: Site) -> None:
    soup = BeautifulSoup(render_email(email_site, issue("preheader-given.md"), TEMPLATES), "html.parser")
    assert words(preheader_div(soup)).startswith("Why Astana said yes, and what Washington gave in return.")


def test_english_labels_and_rich_blocks(email_site: Site) -> None:
    soup = BeautifulSoup(render_email(email_site, issue("en-rich-blocks.md"), TEMPLATES), "html.parser")
    assert one(soup, "html")["lang"] == "en"
    assert words(one(soup, ".dateline")) == "Issue of November 23, 2025 · View in your browser"
    assert words(one(soup, ".byline")) == "By Joseph Fischer Translated by Margaret Bullich"
    article = one(soup, ".article")
    assert article.select("ol li ul li") and article.select("blockquote p") and article.select("table td")
    assert article.select("pre") and one(article, "img")["alt"] == "A map of Central Asia"
    hero = [img for img in soup.find_all("img") if img.find_parent(class_="article") is None]
    assert [img["alt"] for img in hero] == ["Astana skyline at dusk"]
    assert words(one(soup, ".standfirst")).startswith("Every kind of block")  # summary != first paragraph
    assert words(article).startswith("The opening paragraph")


def test_right_to_left_language(email_site: Site) -> None:
    soup = BeautifulSoup(render_email(email_site, issue("ar-right-to-left.md"), TEMPLATES), "html.parser")
    assert one(soup, "html")["dir"] == "rtl"


def test_markup_in_the_model_is_escaped(email_site: Site) -> None:
    html = render_email(email_site, issue("title-with-markup.md"), TEMPLATES)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("b") is None and soup.find("markup") is None
    title = 'Tom & Jerry <script>alert(1)</script> "quoted"'
    assert words(one(soup, "h1.title")) == title and one(soup, "title").get_text() == title
    assert "A <b>bold</b> author" in words(one(soup, ".byline"))
    assert [a["href"] for a in one(soup, ".related-block").select("a")] == [
        "https://example.org/related?a=1&b=2"
    ]


def test_template_syntax_error_is_one_line_with_file_and_line(
    tmp_path: Path, email_site: Site, sample: Issue
) -> None:
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    broken = tmp_path / "templates" / "email" / "_footer.mjml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("{% endif %}", "{% endiff %}", 1))
    with pytest.raises(NewsletterError) as e:
        render_email(email_site, sample, tmp_path / "templates")
    assert e.value.path and e.value.path.endswith("_footer.mjml") and e.value.line
    assert "\n" not in str(e.value)


def test_missing_template_names_the_file(tmp_path: Path, email_site: Site, sample: Issue) -> None:
    (tmp_path / "templates" / "email").mkdir(parents=True)
    with pytest.raises(NewsletterError, match=r"issue\.mjml"):
        render_email(email_site, sample, tmp_path / "templates")


def test_invalid_mjml_is_a_newsletter_error() -> None:
    with pytest.raises(NewsletterError, match="not valid MJML"):
        compile_mjml("<mjml><mj-body><mj-section>")


def test_mjml_source_is_deterministic(email_site: Site, sample: Issue) -> None:
    assert render_mjml(email_site, sample, TEMPLATES) == render_mjml(email_site, sample, TEMPLATES)


def test_french_issue_uses_french_words_and_typography(email_site: Site) -> None:
    soup = BeautifulSoup(render_email(email_site, issue("fr-related-colon.md"), TEMPLATES), "html.parser")
    assert one(soup, "html")["lang"] == "fr"
    assert words(one(soup, ".dateline")) == "Numéro du 27 novembre 2025 · Voir dans le navigateur"
    assert (
        one(soup, ".article p.related").get_text()
        == "Lire aussi sur Novastan\u202f: La Chine en Asie centrale"
    )
    assert words(one(soup, ".btn a")) == "Je soutiens Novastan"
    assert "Se désabonner" in words(one(soup, ".footer"))


def test_template_cache_that_cannot_be_written_or_read_is_only_a_miss(tmp_path: Path) -> None:
    """Compiled templates on a full disk or in a damaged folder: the templates still render."""
    import jinja2

    from newsletter.outputs.templates import QuietBytecodeCache

    for cache in (QuietBytecodeCache(str(tmp_path / "missing")), QuietBytecodeCache(str(tmp_path))):
        for _ in range(2):  # the second time reads what the first wrote, if it could
            env = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ x }}!"}), bytecode_cache=cache)
            assert env.get_template("t").render(x="ok") == "ok!"
    for written in tmp_path.glob("__jinja2_*"):
        written.write_bytes(b"j2 damaged")
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t": "{{ x }}!"}), bytecode_cache=QuietBytecodeCache(str(tmp_path))
    )
    assert env.get_template("t").render(x="ok") == "ok!"
