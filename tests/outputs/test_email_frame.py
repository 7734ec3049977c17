"""The email made from a frame: the bytes of mjml-python then css-inline, or not made at all."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from factories import email_issue

from newsletter.config import load_config
from newsletter.model import Site
from newsletter.outputs import email_frame
from newsletter.outputs.email import compile_mjml, inline_css, render_email, render_mjml
from newsletter.sources.markdown import read_issue

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

STYLE = """
  .a p { margin: 0 0 18px; }
  .a h2 { margin: 30px 0 10px; }
  .a h2:first-child { margin-top: 0; }
  .a li:first-child a { font-weight: bold; }
  .a a, .b a { color: #0b57a4; }
  .a img { max-width: 100%; }
  :root { color-scheme: light dark; }
  .b > p { color: #333333; }
  @media (prefers-color-scheme: dark) { .a p + p, .a a[href] { color: #ffffff !important; } }
"""


def mjml(content: str, *, title: str = "Ein Titel", preview: str = "Vorschau", style: str = STYLE) -> str:
    """A small email: a title, a preview line, a stylesheet and two texts, one holding `content`."""
    return f"""<mjml lang="de">
  <mj-head>
    <mj-title>{title}</mj-title>
    <mj-preview>{preview}</mj-preview>
    <mj-attributes><mj-text padding="0 32px" /></mj-attributes>
    <mj-style>{style}</mj-style>
  </mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text css-class="a">{content}</mj-text>
      <mj-text css-class="b"><p>Fuß <a href="https://example.org/?a=1&amp;b=2">zeile</a></p></mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>"""


def slow(source: str) -> str:
    return inline_css(compile_mjml(source))


def fill(source: str) -> str | None:
    return email_frame.fill(source, compile_mjml, inline_css)


@pytest.fixture(autouse=True)
def no_frames_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """No frame made before; one is made for the first email that needs it (a build makes it
    for the second: `test_one_email_alone_is_made_the_slow_way_and_the_second_from_a_frame`)."""
    email_frame._FRAMES.clear()
    email_frame._SEEN.clear()
    monkeypatch.setattr(email_frame, "_FIRST_ALONE", False)


def test_one_email_alone_is_made_the_slow_way_and_the_second_from_a_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(email_frame, "_FIRST_ALONE", True)
    compiled: list[str] = []

    def counted(source: str) -> str:
        compiled.append(source)
        return compile_mjml(source)

    first, second = mjml("<p>eins</p>", title="Eins"), mjml("<p>zwei</p>", title="Zwei")
    assert email_frame.fill(first, counted, inline_css) is None  # the slow way, by the caller
    assert email_frame.fill(second, counted, inline_css) == slow(second)
    assert len(compiled) == 1  # the frame, made for the second


def test_the_sample_email_is_filled_into_its_frame_with_the_same_bytes(email_site: Site) -> None:
    source = render_mjml(email_site, email_issue("kasachstan-abraham-abkommen.md"), TEMPLATES)
    filled = fill(source)
    assert filled is not None
    assert filled == slow(source)


def _fixtures() -> list[tuple[str, Path]]:
    """Every issue of the email, editions and digest fixtures that these templates render (the
    folders also hold issues that are broken on purpose)."""
    out = []
    for name in ("email", "editions", "digest"):
        site = load_config(ROOT / "tests" / "data" / name / "newsletter.toml").site
        for path in sorted((ROOT / "tests" / "data" / name).rglob("*.md")):
            try:
                render_mjml(site, read_issue(path), TEMPLATES)
            except Exception:
                continue
            out.append((name, path))
    return out


@pytest.mark.parametrize(("config", "path"), _fixtures(), ids=lambda v: getattr(v, "name", v))
def test_every_fixture_email_is_the_slow_ways_bytes(config: str, path: Path) -> None:
    site = load_config(ROOT / "tests" / "data" / config / "newsletter.toml").site
    issue = read_issue(path)
    source = render_mjml(site, issue, TEMPLATES)
    filled = fill(source)
    assert filled is None or filled == slow(source)
    assert render_email(site, issue, TEMPLATES) == slow(source)


def test_a_frame_is_compiled_once_for_every_email_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []

    def counted(source: str) -> str:
        compiled.append(source)
        return compile_mjml(source)

    for n in range(3):
        source = mjml(f"<p>Absatz {n}</p>", title=f"Titel {n}", preview=f"Zeile {n}")
        assert email_frame.fill(source, counted, inline_css) == slow(source)
    assert len(compiled) == 1


@pytest.mark.parametrize(
    "content",
    [
        # white space that starts with a line break is dropped (mjml-python)
        "\n  <h2>Erst</h2>\n  <p>a <strong>b</strong>\n<em>c</em></p>\n  <h2>Dann</h2>\n",
        "<p>a <b>b</b> \n <i>c</i>\t<span>d</span></p> ",  # other white space kept
        "<p>&#34;q&#34; &#39;s&#39; &quot;t&quot; &amp; &lt;x&gt; y > z &nbsp;\u00a0</p>",
        '<p><a href="https://example.org/?q=&#34;x&#34;&amp;y" title="&lt;a&gt; b>c">L</a></p>',
        '<ul><li><a href="https://a.example">1</a></li><li><a href="https://b.example">2</a></li></ul>',
        '<p>x<br>y<br/>z<br />w</p><figure style="margin:0">'
        '<img src="https://e.example/i.jpg" alt="" width="20"><figcaption>c</figcaption></figure>',
        '<p class="x y" id="p1">eins</p><p style="color:red">zwei</p><blockquote><p>drei</p></blockquote>',
        "",
        "\n",
        "Nur Text\n",
    ],
)
def test_content_is_written_as_mjml_then_css_inline_write_it(content: str) -> None:
    source = mjml(content)
    filled = fill(source)
    assert filled is not None
    assert filled == slow(source)


@pytest.mark.parametrize(
    "content",
    [
        "<p>a</p><!-- ein Kommentar --><p>b</p>",
        "<pre>\ncode</pre>",
        "<table><tr><td>x</td></tr></table>",
        "<p>a < b</p>",
        "<p>AT&T</p>",
        "<p>&eacute;</p>",
        "<p>a\r\nb</p>",
        '<p><a href="https://a.example"><a href="https://b.example">x</a></a></p>',
        "<p><p>x</p></p>",
        "<p><strong><ul><li>x</li></ul></strong></p>",
        "<li>x</li>",
        "<h2><h3>x</h3></h2>",
        "<p>offen",
        "<p>x</div>",
        "<P>x</P>",
        "<p class='x'>y</p>",
        '<p class="x" class="y">z</p>',
        '<img src="https://e.example/i.jpg" alt="a\u00a0b">',  # mjml-python escapes it: \\u{a0}
        '<p><a href="https://e.example/" title="C\\D">x</a></p>',
        '<p><a href="https://e.example/" title="Cafe\u0301">x</a></p>',
        "\n\u3000<p>x</p>",  # white space Rust and Python may not agree on
    ],
)
def test_content_this_cannot_promise_the_bytes_of_is_made_the_slow_way(content: str) -> None:
    assert fill(mjml(content)) is None


@pytest.mark.parametrize("title", ["Caf\u00e9\u00a0: ouvert", "Tab\there", "Back\\slash", "Caf\u0065\u0301"])
def test_a_title_mjml_would_escape_in_its_attribute_is_made_the_slow_way(title: str) -> None:
    # the title is the body's aria-label too, which mjml-python escapes as Rust's escape_debug
    assert fill(mjml("<p>x</p>", title=title)) is None


@pytest.mark.parametrize(
    "title", ["Kasachstan &amp; die &#34;Abraham&#34;-Abkommen", "L&#39;adh\u00e9sion \u00ab\u00a0?"]
)
def test_titles_and_preview_lines_keep_their_characters(title: str) -> None:
    source = mjml("<p>x</p>", title=title.replace("\u00a0", " "), preview=title + "\u200c\u00a0" * 3)
    filled = fill(source)
    assert filled is not None
    assert filled == slow(source)


@pytest.mark.parametrize(
    "selector",
    ["p + p", ".a p ~ p", "a[href]", "li:last-child", "p:nth-child(2)", ".a:not(.b) p", "p::first-line"],
)
def test_a_stylesheet_whose_matches_depend_on_more_is_made_the_slow_way(selector: str) -> None:
    source = mjml("<p>a</p><p>b</p>", style=STYLE + f"\n  {selector} {{ color: red; }}")
    assert fill(source) is None
    assert render_email_of(source) == slow(source)


def test_an_email_holding_the_placeholder_or_a_broken_template_is_made_the_slow_way() -> None:
    assert fill(mjml("<p>nlSlotQh0nlSlotQ</p>")) is None
    broken = mjml("<p>x</p>").replace("<mj-column>", "<mj-column><mj-unknown>", 1)
    assert fill(broken) is None


def render_email_of(source: str) -> str:
    filled = fill(source)
    return filled if filled is not None else slow(source)


def test_the_first_heading_of_a_text_is_styled_as_the_first_child() -> None:
    source = mjml("<h2>A</h2><p>x</p><h2>B</h2>")
    filled = fill(source)
    assert filled is not None
    assert filled == slow(source)
    first, second = BeautifulSoup(filled, "html.parser").select("h2")
    assert first["style"] != second["style"]  # .a h2:first-child


def test_a_frame_learned_in_one_process_fills_the_first_email_of_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`learned` gives the frames made or taught here since it was last asked, pickled (a build
    keeps them); `adopt` takes them in a process that has made none, whose first email would be
    made the slow way: it is filled from the frame, to the slow way's bytes, without compiling
    MJML or asking css-inline, unless it has an element of a shape the frame has not met."""
    monkeypatch.setattr(email_frame, "_REPORTED", {})
    first = mjml("<p>eins <em>1</em></p>", title="Eins")
    assert fill(first) == slow(first)
    kept = email_frame.learned()
    assert len(kept) == 1 and email_frame.learned() == {}  # nothing new since
    email_frame._FRAMES.clear()  # as in the next build's process
    monkeypatch.setattr(email_frame, "_REPORTED", {})
    monkeypatch.setattr(email_frame, "_FIRST_ALONE", True)
    email_frame.adopt({**kept, "another": b"not a frame"})
    assert len(email_frame._FRAMES) == 1 and email_frame.learned() == {}

    def not_compiled(source: str) -> str:
        raise AssertionError("the frame was compiled again")

    asked: list[str] = []

    def inline(html: str) -> str:
        asked.append(html)
        return inline_css(html)

    second = mjml("<p>zwei <em>2</em></p>", title="Zwei")
    assert email_frame.fill(second, not_compiled, inline) == slow(second) and asked == []
    third = mjml("<p>drei <strong>3</strong></p>", title="Drei")  # a shape not met: asked once
    assert email_frame.fill(third, not_compiled, inline) == slow(third) and len(asked) == 1
    assert list(email_frame.learned()) == list(kept)  # taught: kept again


def test_a_linked_stylesheet_is_made_the_slow_way() -> None:
    source = mjml("<p>x</p>").replace(
        "</mj-head>", '<mj-raw><link rel="stylesheet" href="s.css"></mj-raw></mj-head>'
    )
    assert fill(source) is None


def test_past_so_many_frames_no_more_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(email_frame, "_MAX_FRAMES", 2)
    made = [fill(mjml("<p>x</p>", style=STYLE + f"\n  .c{n} p {{ color: red; }}")) for n in range(3)]
    assert [m is not None for m in made] == [True, True, False]
    assert len(email_frame._FRAMES) == 2


def test_threads_filling_emails_of_one_frame_at_once_get_the_slow_ways_bytes() -> None:
    contents = [
        f"<h2>T{n}</h2><ul><li><p>a <em>{n}</em></p></li><li><strong>b</strong></li></ul>"
        f'<blockquote><p class="q{n % 3}"><a href="https://e.example/{n}">c</a></p></blockquote>'
        for n in range(64)
    ]
    with ThreadPoolExecutor(8) as pool:
        filled = list(pool.map(lambda content: fill(mjml(content)), contents))
    assert filled == [slow(mjml(content)) for content in contents]
