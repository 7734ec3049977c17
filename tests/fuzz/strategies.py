"""Hypothesis strategies for hostile input: random text salted with what attackers and broken
tools actually send (markup, XSS vectors, control and bidi characters, bad encodings)."""

from __future__ import annotations

from hypothesis import strategies as st

# Markup and payloads that a scraped page, a pasted article or an editor might carry.
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)><circle/></svg>",
    '<base href="https://evil.example/">',
    "<style>p{background:url(javascript:alert(1))}</style>",
    '<p style="width:expression(alert(1))">styled</p>',
    '<img src="https://example.org/a.jpg" srcset="javascript:alert(1) 1x, https://evil.example/x 2x">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="https://evil.example/"><input name="pw"><button>go</button></form>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<div onclick="alert(1)">div</div>',
    '<a href="https://example.org/" onmouseover="alert(1)">ok</a>',
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>]]>",
    "]]>",
    '<img src="https://www.google-analytics.com/collect?v=1" width="1" height="1">',
]
MARKUP = [
    "<p>",
    "</p>",
    "<b>bold",
    "</b>",
    "<em>em</em>",
    "<br>",
    "<h2>Zwischentitel</h2>",
    "<ul><li>eins</li><li>zwei</li></ul>",
    "<blockquote>Zitat</blockquote>",
    "<table><tr><td>x</td></tr></table>",
    '<a href="https://example.org/x">Link</a>',
    '<a href="/relative">rel</a>',
    '<img src="https://example.org/bild.jpg" alt="Bild">',
    "&amp;",
    "&lt;",
    "&#0;",
    "&#xD800;",
    "&#x202E;",
    "&bogus;",
    "&",
    "<",
    ">",
    '"',
    "'",
]
STRUCTURE = [
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "---\n",
    "## ",
    "# ",
    "### ",
    "> ",
    "- ",
    "* ",
    "1. ",
    "```\n",
    "    ",
    "|a|b|\n|-|-|\n",
    "<!-- related: 1 -->",
    "<!-- related: 7 -->",
    "[Link](https://example.org/)",
    "[js](javascript:alert(1))",
    "![Bild](https://example.org/b.png)",
    "![x](data:image/png;base64,AAAA)",
    "<https://example.org/auto>",
    "*",
    "_",
    "`",
    "\\",
    ":",
    "{",
    "}",
    "[",
    "]",
    "#",
]
WORDS = [
    "Kasachstan",
    "Zentralasien",
    "Ouzbékistan",
    "the",
    "Abkommen.",
    "Washington?",
    "«Bonjour»",
    "„Zitat“",
    "FÃ¼r",  # mojibake: UTF-8 read as Latin-1
    "Ã©tÃ©",
    "Lest auch auf Novastan: ",
    "Lire aussi sur Novastan : ",
    "Read also on Novastan: ",
    "Von Joseph Fischer",
    "Joseph Fischer",
    "Redakteurin für Novastan",
    "Aus dem Englischen von Margaret Bullich",
    "Par Jeanne Dupont",
    "Unterstützt Novastan",
    "Folgt uns",
    "اللغة",
    "עברית",
    "😀",
    "𝕏",
    "ß",
    "e\u0301",
]
# Characters that must never reach an output as they are.
NASTY_CHARS = [
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\u200b",
    "\u200e",
    "\u2028",
    "\u2029",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u2060",
    "\ufeff",
    "\ufffd",
    "\ufffe",
    "\uffff",
]
FRAGMENTS = XSS + MARKUP + STRUCTURE + WORDS

# Mostly words and markup, so that many inputs get past the readers' checks to the outputs.
_fragment = st.one_of(
    st.sampled_from(FRAGMENTS + NASTY_CHARS),
    st.text(alphabet="abcdefghij ÄéßАЖ.,?!\n", max_size=60),
    st.text(max_size=20),
)
# The same without C0/C1 controls and surrogates, which a reader of issue files refuses outright.
_printable_fragment = st.one_of(
    st.sampled_from(FRAGMENTS + [c for c in NASTY_CHARS if c.isprintable() or ord(c) > 0x9F]),
    st.text(alphabet="abcdefghij ÄéßАЖ.,?!\n", max_size=60),
    st.text(st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufffe\uffff"), max_size=20),
)


def hostile_text(max_fragments: int = 40, *, controls: bool = True) -> st.SearchStrategy[str]:
    """Random text made of hostile fragments, markup, words and arbitrary Unicode."""
    fragment = _fragment if controls else _printable_fragment
    return st.lists(fragment, max_size=max_fragments).map("".join)


def line_text(max_fragments: int = 8, *, controls: bool = True) -> st.SearchStrategy[str]:
    """A short hostile string for one field: a title, a name, a tag."""
    fragment = _fragment if controls else _printable_fragment
    return st.lists(fragment, min_size=1, max_size=max_fragments).map("".join)


@st.composite
def encoded(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    """`text` as bytes the way files arrive: UTF-8 (maybe with BOM or a lone surrogate),
    cp1252/latin-1, or plain random bytes."""
    value = draw(text)
    how = draw(st.sampled_from(["utf-8"] * 8 + ["bom", "surrogate", "cp1252", "latin-1", "raw"]))
    if how == "raw":
        return draw(st.binary(max_size=400))
    if how in ("cp1252", "latin-1"):
        return value.encode(how, errors="replace")
    data = value.encode("utf-8", errors="surrogatepass")
    if how == "bom":
        data = b"\xef\xbb\xbf" + data
    if how == "surrogate":  # an invalid UTF-8 sequence: a lone surrogate D800
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + b"\xed\xa0\x80" + data[cut:]
    return data
