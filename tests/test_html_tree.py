"""The one reader of sanitized HTML: the tree BeautifulSoup reads, fast for the sanitizer's output."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from newsletter.html_tree import Element, _fast_tree, _from_soup, hrefs, html_tree  # the two readers compared

HTML_CASES = [
    'Laut <a href="https://example.org/?a=1&amp;b=2">Astana&nbsp;Times</a> 29 &#8222;Abkommen&#8220;',
    "<strong>fett</strong>, <em>kursiv</em> und <code>a &lt; b</code><br>neue Zeile",
    '<img src="https://example.org/k.png" alt="Eine &quot;Karte&quot;"> danach',
    '<ul>\n<li>eins <a href="mailto:a@example.org">a@example.org</a></li>\n'
    "<li>zwei<ul><li>drei</li></ul></li>\n</ul>",
    "<pre><code>  eingerückt\n\n  </code></pre>",
    "<table><tr><th>Land</th><th>Hauptstadt</th></tr><tr><td>Kasachstan</td><td>Astana</td></tr></table>",
    "<blockquote>\n<p>Zitat</p>\n  \n<p>zwei</p>\n</blockquote>",
    # Not what the sanitizer writes: read by BeautifulSoup itself.
    "Text <!-- ein Kommentar --> mehr",
    "<a href=unquoted>x</a>",
    "<P>Gross</P>",
    "a < b und <ruby>漢<rt>kan</rt></ruby>",
    "<p>offen",
    "<br/>und<hr/>",
]


def dump(node: Element | str) -> object:
    if isinstance(node, str):
        return (type(node).__name__ != "str", str(node))
    return (node.name, sorted(node.attrs.items()), [dump(c) for c in node.children])


@pytest.mark.parametrize("markup", HTML_CASES)
def test_html_tree_is_the_tree_beautifulsoup_reads(markup: str) -> None:
    assert dump(html_tree(markup)) == dump(_from_soup(BeautifulSoup(markup, "html.parser")))


def test_sanitized_html_takes_the_fast_reader() -> None:
    assert all(_fast_tree(markup) is not None for markup in HTML_CASES[:7])
    assert all(_fast_tree(markup) is None for markup in HTML_CASES[7:])


def test_descendants_are_in_document_order_without_comments() -> None:
    tree = html_tree("eins <b>zwei <i>drei</i></b><!-- nicht --> vier")
    seen = [n.name if isinstance(n, Element) else str(n) for n in tree.descendants()]
    assert seen == ["eins ", "b", "zwei ", "i", "drei", " vier"]


def test_descendants_of_a_deep_tree_need_no_recursion() -> None:
    depth = 5_000
    tree = html_tree("<b>" * depth + "tief" + "</b>" * depth)
    assert list(tree.descendants())[-1] == "tief"


def test_hrefs_are_the_links_a_reader_can_follow() -> None:
    markup = (
        '<a href="https://example.org/a">a</a> <a href="/relativ">r</a> <a>ohne</a> '
        '<a href="mailto:leser@example.org">m</a> <a href="javascript:alert(1)">j</a>'
    )
    assert hrefs(markup) == ["https://example.org/a", "mailto:leser@example.org"]
