"""Front matter read without PyYAML: where the short reader answers, PyYAML answers the same."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsletter.sources import simple_yaml
from newsletter.sources.front_matter import FRONT_MATTER, yaml_loader

sys.path.insert(0, str(ROOT))  # the corpus generator lives in bench/
from bench.corpus import corpus, newsletter_source

# Mostly what front matter holds; now and then what PyYAML reads otherwise, or refuses.
_NAMES = ["title", "url", "id", "og-image", "_x", "y", "Ü", "tags"]
_KEYS = st.sampled_from(_NAMES * 8 + ["yes", "No", "on", "null", "a b", "1", '"q"', "title "])
_PLAIN = [
    "Kasachstan",
    "Tadschikistan – Was steckt dahinter?",
    "Über die Mineralien",
    '"Kasachstan: „Wagnis“"',
    '"a \\" b"',
    "2025-11-20T08:00:00+01:00",
    "https://novastan.org/de/?s=a+b#top",
    "[Kasachstan, USA]",
    '["a", "b, c"]',
] * 12
_SCALARS = st.sampled_from(
    [
        *_PLAIN,
        "Kasachstan",
        "de",
        "Tadschikistan: Baumwollernte",
        "Was steckt dahinter?",
        "a:b",
        "a #b",
        "a#b",
        "x:",
        "yes",
        "Off",
        "NULL",
        "~",
        "y",
        "n",
        "1",
        "1.5",
        "0x1F",
        "190:20:30",
        ".inf",
        "-",
        "- a",
        "2025-11-20",
        "2025-11-20T08:00:00+01:00",
        "2025-11-20 08:00:00 +01:00",
        "2025-13-45",
        "2025-11-20x",
        '"Kasachstan: „Wagnis“"',
        '"a \\" b"',
        '"a \\\\ b"',
        '"a \\n b"',
        '"a \\x41"',
        '"unclosed',
        '""',
        "'single'",
        "'it''s'",
        "it's",
        'Das "Signal"',
        "https://novastan.org/de/?s=a+b#top",
        "[a, b]",
        '["a", "b, c"]',
        "[a, ]",
        "[]",
        "[ ]",
        "[[a]]",
        "[a: b]",
        "[a #b]",
        "{a: b}",
        "&anchor x",
        "*alias",
        "!tag x",
        "|",
        ">",
        "%x",
        "@x",
        "`x`",
        "Über die Mineralien",
        "a\u00a0",
        "\u00a0a",
        "a\tb",
        "a\x85b",
        "a\u2028b",
        "x  y",
        "",
        " ",
    ]
)


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(_KEYS)
        shape = draw(
            st.sampled_from(
                ["scalar"] * 6 + ["empty", "items", "items", "mappings", "mappings", "mappings", "odd"]
            )
        )
        if shape == "scalar":
            lines.append(f"{key}:{draw(st.sampled_from([' '] * 8 + ['  ', '']))}{draw(_SCALARS)}")
        elif shape == "empty":
            lines.append(f"{key}:")
        elif shape in ("items", "mappings"):
            lines.append(f"{key}:")
            indent = " " * draw(st.sampled_from([0, 2, 4]))
            for _ in range(draw(st.integers(0, 3))):
                if shape == "items":
                    lines.append(f"{indent}- {draw(_SCALARS)}")
                    continue
                gap = " " * draw(st.sampled_from([1, 1, 3]))
                lines.append(f"{indent}-{gap}{draw(_KEYS)}: {draw(_SCALARS)}")
                for _ in range(draw(st.integers(0, 2))):
                    column = len(indent) + 1 + len(gap) + draw(st.sampled_from([0] * 6 + [-1, 1, 2]))
                    lines.append(" " * max(column, 0) + f"{draw(_KEYS)}: {draw(_SCALARS)}")
        else:
            lines.append(
                draw(
                    st.sampled_from(
                        ["# a comment", "  # indented comment", "", "   ", "  more", "...", "---", "\t"]
                    )
                )
            )
    return "\n".join(lines)


@given(_documents())
@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@example('id: "tag:x,2025:a"\ntitle: "T"\ndate: 2025-11-20T08:00:00+01:00\nlanguage: de')
@example("related:\n- title: a\n  url: https://x.example/\n- title: b\n  url: https://y.example/")
@example('tags: [a, b]\nauthors:\n  - "A"\n  # a comment\n  - B\nsummary:')
@example("title: a\n  continued")
def test_what_the_short_reader_answers_pyyaml_answers(text: str) -> None:
    ours = simple_yaml.load(text)
    try:
        theirs = yaml.load(text, Loader=yaml_loader())
    except yaml.YAMLError:
        assert ours is None
        return
    assert ours is None or repr(ours) == repr(theirs)


def _front_matter(source: str) -> str:
    m = FRONT_MATTER.match(source)
    assert m is not None
    return m.group(1)


def test_the_front_matter_of_the_repository_s_and_the_corpus_s_issues_is_read_short() -> None:
    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "issues").glob("*.md"))]
    sources += [newsletter_source(issue) for issue in corpus(40)]
    assert len(sources) > 40
    for source in sources:
        text = _front_matter(source)
        ours = simple_yaml.load(text)
        assert ours is not None and repr(ours) == repr(yaml.load(text, Loader=yaml_loader()))


def test_what_the_importer_writes_is_read_short(tmp_path: Path) -> None:
    """A title with quotes and a backslash, as the importer's writer quotes it."""
    from newsletter.sources.markdown_writer import _yaml_scalar

    title = 'Das "Signal" \\ an Washington – „Wagnis“'
    text = f"title: {_yaml_scalar(title)}\ntags: [{_yaml_scalar('a, b')}, {_yaml_scalar('c')}]"
    assert simple_yaml.load(text) == {"title": title, "tags": ["a, b", "c"]}


@pytest.mark.parametrize(
    "text",
    [
        "title: 1.5",
        "draft: yes",
        "title: a # note",
        "title: 'a'",
        "title: |\n  a",
        "  title: a",
        "title:\n  a: b",
    ],
)
def test_anything_else_is_left_to_pyyaml(text: str) -> None:
    assert simple_yaml.load(text) is None


def test_reading_an_issue_does_not_import_pyyaml() -> None:
    code = (
        "import sys; from pathlib import Path; from newsletter.sources.markdown import read_issue; "
        f"read_issue(sorted(Path({str(ROOT / 'issues')!r}).glob('*.md'))[0]); "
        "print('yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    "text",
    [
        'title: "' + "a" * 100_000,  # a quote never closed
        'title: "' + 'a\\"' * 30_000,
        "tags: [" + " " * 100_000 + "a",
        "tags: [" + "a" * 100_000 + " " * 1_000 + '"]',
        "related:\n- title: " + '"' + "x" * 100_000,
    ],
)
def test_no_text_makes_the_reader_try_every_way_to_split_it(text: str) -> None:
    """Its patterns match each run of characters once: a long value it cannot read is refused
    at once (a nested repeat would take longer than the age of the universe here)."""
    assert simple_yaml.load(text) is None


def _pyyaml_patterns() -> dict[str, str]:
    """PyYAML's implicit resolvers' patterns, by tag (its `Resolver`, which the loader uses)."""
    from yaml.resolver import Resolver

    return {
        tag: pattern.pattern
        for resolvers in Resolver.yaml_implicit_resolvers.values()
        for tag, pattern in resolvers
    }


def test_its_words_and_its_timestamp_are_pyyaml_s_own() -> None:
    """The booleans and nulls it leaves to PyYAML, and the timestamp it keeps as text, are
    copies of PyYAML's resolver's (importing it is what the reader avoids): held to them."""
    patterns = _pyyaml_patterns()
    words = re.findall(r"[A-Za-z]+", patterns["tag:yaml.org,2002:bool"] + patterns["tag:yaml.org,2002:null"])
    assert set(words) == simple_yaml._WORDS
    verbose = "".join(simple_yaml._TIMESTAMP.pattern.split())  # re.X: white space means nothing
    assert "".join(patterns["tag:yaml.org,2002:timestamp"].split()) == f"^(?:{verbose})$"
    assert simple_yaml._TIMESTAMP.flags & re.X
