"""Issue files: reading, errors, and the write/read round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newsletter.errors import NewsletterError
from newsletter.html_tree import hrefs
from newsletter.sources.front_matter import field_line, slugify
from newsletter.sources.markdown import PARSER, read_issue, read_issues
from newsletter.sources.markdown_writer import issue_to_markdown

DATA = Path(__file__).parents[1] / "data"
FRENCH = DATA / "issues" / "2025-10-02-ouzbekistan-eau.md"
SAMPLE_FILE = "2025-11-20-kasachstan-beitritt-zu-den-abraham-abkommen-wird-sich.md"


def test_reads_front_matter_and_body() -> None:
    issue = read_issue(FRENCH)
    a = issue.article
    assert issue.slug == "ouzbekistan-eau"
    assert issue.id == "tag:example.org,2025-10-02:ouzbekistan-eau"
    assert issue.language == "fr"
    assert issue.date == dt.datetime(2025, 10, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert issue.updated is not None and issue.last_modified == issue.updated
    assert [p.name for p in a.authors] == ["Anna Dupont", "Rustam Karimov"]
    assert a.authors[0].url == "https://example.org/auteurs/anna-dupont"
    assert [p.name for p in a.translators] == ["Claire Martin"]
    assert a.tags == ("Ouzbékistan", "Eau", "Agriculture")
    assert a.headings == ("Un système hérité de l’époque soviétique", "Quelles solutions ?")
    assert a.related[1].url is None


def test_body_blocks_keep_order_links_and_related_positions() -> None:
    a = read_issue(FRENCH).article
    lead = a.sections[0]
    assert lead.heading is None
    first = lead.blocks[0]
    assert first.kind == "paragraph"
    assert "<em>attendent</em>" in first.html
    assert hrefs(first.html)[0] == "https://www.unesco.org/fr"
    assert "l’Unesco" in first.text and "<" not in first.text
    kinds = [b.kind for b in a.sections[1].blocks]
    assert kinds == ["paragraph", "related", "list", "quote"]
    assert a.sections[1].blocks[1].related_index == 0
    assert a.sections[2].blocks[-1].related_index == 1
    assert "&amp;" in a.sections[1].blocks[0].html


def test_round_trip_gives_back_the_same_model(tmp_path: Path) -> None:
    issue = read_issue(FRENCH)
    copy = tmp_path / FRENCH.name
    copy.write_text(issue_to_markdown(issue), encoding="utf-8")
    again = read_issue(copy)
    assert again.article == issue.article
    assert (again.id, again.date, again.updated, again.language) == (
        issue.id,
        issue.date,
        issue.updated,
        "fr",
    )


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("no-title", "lacks 'title'"),
        ("broken-front-matter", "broken front matter"),
        ("invalid-date", "not an ISO 8601"),
        ("date-without-zone", "no time zone"),
        ("control-character", "control character U+0001"),
        ("binary", "binary file"),
        ("no-front-matter", "no front matter"),
        ("related-marker-out-of-range", "has 1 entries"),
        ("related-javascript-url", "no absolute http(s) url"),
        ("slug-path-traversal", "may hold only"),
        ("title-line-break", "'title' contains a line break"),
    ],
)
def test_bad_issue_gives_one_line_naming_the_file(fixture: str, expected: str) -> None:
    path = DATA / "bad-issues" / f"2025-01-01-{fixture}.md"
    with pytest.raises(NewsletterError) as e:
        read_issue(path)
    message = str(e.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("fixture", "line", "expected"),
    [
        ("misspelled-title", 3, "unknown front-matter field 'titel'; did you mean 'title'?"),
        ("unknown-field", 6, "unknown front-matter field 'sumary'; did you mean 'summary'?"),
        ("broken-front-matter", 5, "broken front matter"),
        ("translation-not-a-slug", 6, "front matter 'translations: fr' must be an issue's slug"),
        (
            "language-not-an-edition",
            5,
            "language 'kk' is not an edition of this newsletter; use one of de, fr",
        ),
    ],
)
def test_front_matter_mistakes_name_their_line(fixture: str, line: int, expected: str) -> None:
    path = DATA / "bad-issues" / f"2025-01-01-{fixture}.md"
    with pytest.raises(NewsletterError) as e:
        read_issue(path, languages=("de", "fr"))
    assert str(e.value).startswith(f"{path}:{line}: {expected}")


def test_a_regional_tag_of_an_edition_is_that_edition(tmp_path: Path) -> None:
    text = (DATA / "bad-issues" / "2025-01-01-language-not-an-edition.md").read_text(encoding="utf-8")
    path = tmp_path / "2025-01-01-x.md"
    path.write_text(text.replace("language: kk", "language: de-AT"), encoding="utf-8")
    assert read_issue(path, languages=("de", "fr")).language == "de-AT"


def test_control_character_error_names_the_line() -> None:
    path = DATA / "bad-issues" / "2025-01-01-control-character.md"
    with pytest.raises(NewsletterError) as e:
        read_issue(path)
    assert e.value.line == 8


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "2025-01-01-big.md"
    big.write_bytes(b"x" * (20 * 1024 * 1024))
    with pytest.raises(NewsletterError, match="over the limit"):
        read_issue(big)


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    text = FRENCH.read_text(encoding="utf-8")
    (tmp_path / "2025-10-02-a.md").write_text(text, encoding="utf-8")
    (tmp_path / "2025-10-02-b.md").write_text(text, encoding="utf-8")
    with pytest.raises(NewsletterError, match="same id"):
        read_issues(tmp_path)


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    p = tmp_path / FRENCH.name
    p.write_bytes(b"\xef\xbb\xbf" + FRENCH.read_bytes().replace(b"\n", b"\r\n"))
    assert read_issue(p).article.title.startswith("L’Ouzbékistan")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Kasachstan Beitritt zu den Abraham-Abkommen: Wird sich Washingtons Geste auszahlen?",
         "kasachstan-beitritt-zu-den-abraham-abkommen-wird-sich"),
        ("../../etc/passwd", "etc-passwd"),
        ("Größe & Maß", "grosse-mass"),
        ("日本語", "ri-ben-yu"),  # transliterated (Unidecode's readings), not dropped
        ("!!!", "issue"),
    ],
)  # fmt: skip
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_translations_and_the_source_language_read_back_as_written(tmp_path: Path) -> None:
    path = DATA / "editions" / "issues" / "2025-11-21-kazakhstan-accords-abraham.md"
    issue = read_issue(path)
    assert issue.article.translated_from == "de"
    assert [(t.language, t.is_url) for t in issue.article.translations] == [("de", False), ("en", True)]
    copy = tmp_path / path.name
    copy.write_text(issue_to_markdown(issue), encoding="utf-8")
    assert read_issue(copy).article == issue.article


# --- the parser's plain-text shortcut ------------------------------------------------------------

_MARKDOWN_PIECES = st.sampled_from(
    [
        "Wort",
        " ",
        "ä„ü“",
        "\n",
        "\n\n",
        "*",
        "_",
        "`",
        "~",
        "[",
        "]",
        "(",
        ")",
        "!",
        "<",
        ">",
        "&",
        "&amp;",
        "\\",
        "#",
        "-",
        ":",
        "|",
        "https://a.example/",
        "<b>",
        "  \n",
        "1.",
        "$",
        "{",
        "=",
        '"',
    ]
)


def _tokens(tokens: list[Token]) -> list[object]:
    return [
        (
            t.type,
            t.tag,
            t.content,
            t.level,
            t.map,
            t.markup,
            t.info,
            t.attrs,
            t.meta,
            t.block,
            t.hidden,
            _tokens(t.children) if t.children is not None else None,
        )
        for t in tokens
    ]


_REFERENCE = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table")


@given(st.lists(_MARKDOWN_PIECES, max_size=40).map("".join))
@settings(max_examples=300, deadline=None)
def test_plain_inline_text_parses_as_markdown_it_parses_it(text: str) -> None:
    assert _tokens(PARSER.parse(text)) == _tokens(_REFERENCE.parse(text))
    assert PARSER.render(text) == _REFERENCE.render(text)


def test_plain_inline_text_of_the_sample_parses_as_markdown_it_parses_it() -> None:
    text = (DATA.parents[1] / "issues" / SAMPLE_FILE).read_text(encoding="utf-8")
    assert _tokens(PARSER.parse(text)) == _tokens(_REFERENCE.parse(text))


# --- the parser's plain-blocks shortcut ----------------------------------------------------------

# Whole lines, and what can begin or end one: the shortcut's blocks, and each block it leaves
# to markdown-it (and what looks like one and is not).
_LINE_PIECES = st.sampled_from(
    [
        "Ein Absatz mit Wörtern.",
        "zweite Zeile",
        "## Zwischentitel",
        "# Titel #",
        "### Titel ###  ",
        "#######",
        "#hashtag",
        "##\t",
        "#",
        "<!-- related: 1 -->",
        "<!-- video: https://a.example/v -->",
        "<!--",
        "-->",
        "<!-- a --> b",
        "<div>",
        "<b>fett</b> text",
        "    eingerückt",
        "  zwei",
        "\tTab",
        "> Zitat",
        "- Punkt",
        "* Punkt",
        "+ Punkt",
        "1. eins",
        "2) zwei",
        "2017 war",
        "---",
        "===",
        "___",
        "```",
        "~~~",
        "| a | b |",
        "|---|---|",
        ":--",
        "[a]: https://a.example/",
        "[a]",
        "\u3000Raum",
        "\u00a0",
        "  ",
        "\f",
        "",
    ]
)


@given(st.lists(_LINE_PIECES, max_size=14), st.sampled_from(["\n", "\n\n", "\r\n"]), st.booleans())
@settings(max_examples=400, deadline=None)
def test_a_body_of_any_lines_parses_as_markdown_it_parses_it(lines: list[str], sep: str, end: bool) -> None:
    text = sep.join(lines) + (sep if end else "")
    assert _tokens(PARSER.parse(text)) == _tokens(_REFERENCE.parse(text))


def test_the_plain_blocks_shortcut_reads_the_repository_s_issues() -> None:
    from newsletter.sources.front_matter import split_front_matter
    from newsletter.sources.markdown import _simple_blocks

    bodies = [
        split_front_matter(path.read_text(encoding="utf-8"), str(path))[1]
        for path in sorted((DATA.parents[1] / "issues").glob("*.md"))
    ]
    assert bodies and all(_simple_blocks(body) is not None for body in bodies)


@given(
    st.lists(
        _MARKDOWN_PIECES | st.sampled_from(["\u00a0", "\u202f", "\u200b", "\x0b", "é", "«"]), max_size=30
    )
)
@settings(max_examples=300, deadline=None)
def test_a_plain_paragraph_reads_as_the_long_way_reads_it(pieces: list[str]) -> None:
    import newsletter.sources.markdown as markdown

    text = "".join(pieces)
    short = markdown.parse_body(text, related_count=0, path="x")
    shortcut = markdown._plain_paragraph
    try:
        markdown._plain_paragraph = lambda children: None  # type: ignore[assignment]
        assert markdown.parse_body(text, related_count=0, path="x") == short
    finally:
        markdown._plain_paragraph = shortcut


def test_a_field_is_looked_for_in_the_front_matter_only() -> None:
    text = '---\ntitle: "T"\nlanguage: de\n---\nlanguage: fr\n\nsummary: no field\n'
    assert field_line(text, "language") == 3
    assert field_line(text, "summary") is None
    assert field_line("no front matter\nsummary: x\n", "summary") == 2


# --- what the reader vouches for -----------------------------------------------------------------


def test_an_issue_read_is_xml_safe_without_a_walk_unless_its_front_matter_has_an_escape(
    tmp_path: Path,
) -> None:
    from newsletter.xmltext import remembered, walks_clean, xml_safe

    sample = read_issue(DATA.parents[1] / "issues" / SAMPLE_FILE)
    assert remembered(sample) and walks_clean(sample)
    head = '---\nid: "tag:example.org,2025:x"\ndate: 2025-11-20T08:00:00+01:00\nlanguage: de\n'
    escaped = tmp_path / "2025-11-20-escaped.md"
    # every field refuses control characters now; a YAML escape is the one way one could come in
    escaped.write_text(head + 'title: "Ein \\\\ Titel"\n---\nText.\n', encoding="utf-8")
    issue = read_issue(escaped)
    assert issue.article.title == "Ein \\ Titel" and not remembered(issue)
    assert xml_safe(issue) is issue
    plain = tmp_path / "2025-11-20-plain.md"
    plain.write_text(
        head + 'title: "Ein Titel"\n---\nText &#1; und &#xFFFE; und <b>&#x0b;</b>.\n', encoding="utf-8"
    )
    issue = read_issue(plain)
    assert remembered(issue) and walks_clean(issue)
    digest = next(
        p for p in sorted((DATA / "digest" / "issues").glob("*.md")) if "\narticles:" in p.read_text()
    )
    issue = read_issue(digest)  # its teasers come from other files: walked
    assert issue.articles and not remembered(issue)
