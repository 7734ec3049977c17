"""The accessibility judge: document rules from the HTML, axe-core and contrast in real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import require

from newsletter.judges.accessibility import (
    PageAudit,
    audit_pages,
    audit_problems,
    axe_script_path,
    chromium_path,
    structure_problems,
    vague_link_texts,
)

PAGES = Path(__file__).resolve().parents[1] / "data" / "judges" / "accessibility"


def structure(name: str) -> list[str]:
    path = PAGES / name
    return [p.message for p in structure_problems(path, path.read_bytes())]


@pytest.mark.parametrize(
    "fixture", ["accessible.html", "link-text-mehr-in-french-is-fine.html", "dark-mode-keeps-dark-text.html"]
)
def test_accessible_pages_have_no_structure_problems(fixture: str) -> None:
    assert structure(fixture) == []


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("missing-alt.html", ["image 'https://example.org/tal.jpg' has no alt text"]),
        ("no-dir.html", ['no dir on <html>; add dir="ltr" (or "rtl")']),
        ("heading-skips-a-level.html", ["<h4> 'Die neue Straße' after <h2>: headings skip a level"]),
        ("first-heading-not-h1.html", ["<h2> 'Der Markt' as the first heading: headings skip a level"]),
        (
            "link-text-hier-klicken.html",
            ["link text 'Hier klicken' does not say where 'https://example.org/tal' leads; name the target"],
        ),
        (
            "link-text-weiterlesen.html",
            ["link text 'weiterlesen …' does not say where 'https://example.org/tal' leads; name the target"],
        ),
        (
            "link-text-click-here-in-german.html",
            ["link text 'Click here' does not say where 'https://example.org/tal' leads; name the target"],
        ),
        (
            "link-text-ici-french.html",
            ["link text 'ici' does not say where 'https://example.org/tal' leads; name the target"],
        ),
        (
            "link-without-text.html",
            ["link 'https://example.org/tal' has no text; screen readers read out the URL"],
        ),
    ],
)
def test_one_structure_problem_per_fixture(fixture: str, expected: list[str]) -> None:
    assert structure(fixture) == expected


def test_no_lang() -> None:
    assert [m.split(";")[0] for m in structure("no-lang.html")] == ["no lang on <html>", "no dir on <html>"]


def test_layout_table_without_role_but_data_table_with_caption_is_fine() -> None:
    problems = structure("layout-table-without-role.html")
    assert len(problems) == 1
    assert problems[0].startswith('layout table without role="presentation" (\'Frühling im Tal')


def test_the_word_lists_are_data_per_language() -> None:
    words = vague_link_texts()
    assert {"de", "en", "fr"} <= set(words)
    assert "hier klicken" in words["de"] and "click here" in words["en"] and "ici" in words["fr"]


def test_the_inaccessible_email_breaks_every_structure_rule() -> None:
    problems = structure("inaccessible-email.html")
    assert [p.split(" ")[0:2] for p in problems] == [
        ["no", "lang"],
        ["no", "dir"],
        ["layout", "table"],
        ["image", "'https://example.org/banner.png'"],
        ["<h3>", "'Neues"],
        ["link", "text"],
    ]


def test_the_built_pages_have_no_structure_problems(sample_folder: Path, other_root: Path) -> None:
    pages = [
        sample_folder / "email.html",
        sample_folder / "index.html",
        sample_folder.parents[1] / "index.html",
    ]
    pages += sorted((other_root / "public").rglob("*.html"))
    for page in pages:
        assert structure_problems(page, page.read_bytes()) == []


# --- in headless Chromium ----------------------------------------------------------------


Audit = Callable[..., dict[Path, PageAudit]]


@pytest.fixture(scope="module")
def audit() -> Audit:
    chromium, axe = chromium_path(), axe_script_path()
    require(chromium is not None, "/usr/bin/chromium")
    require(axe is not None, "node_modules/axe-core (npm install)")
    require(_has_playwright(), "the playwright Python package")
    assert chromium and axe

    def run(*paths: Path) -> dict[Path, PageAudit]:
        audits, version = audit_pages(list(paths), axe_script=axe, chromium=chromium)
        assert version.startswith("4.")
        return audits

    return run


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.browser
def test_the_sample_email_and_pages_pass_axe_and_contrast(
    audit: Audit, sample_folder: Path, other_root: Path
) -> None:
    pages = [
        sample_folder / "email.html",
        sample_folder / "index.html",
        sample_folder.parents[1] / "index.html",
    ]
    pages += sorted((other_root / "public" / "issues").glob("*/*.html"))
    archives = sorted((other_root / "public").glob("*/index.html"))  # each edition's archive
    assert [p.parent.name for p in archives] == ["ar", "de", "en", "fr"]
    pages += archives
    for page, result in audit(*pages).items():
        assert audit_problems(result) == [], page
        assert result.contrast == []  # light and dark


@pytest.mark.browser
def test_axe_finds_the_serious_and_critical_violations(audit: Audit) -> None:
    (result,) = audit(PAGES / "inaccessible-email.html").values()
    failing = {(v.rule, v.impact) for v in result.axe if v.impact in ("serious", "critical")}
    assert failing == {("image-alt", "critical"), ("html-has-lang", "serious"), ("color-contrast", "serious")}
    problems = [p.message for p in audit_problems(result)]
    assert "axe image-alt (critical): Images must have alternative text: img" in problems


@pytest.mark.browser
def test_low_contrast_in_light_mode(audit: Audit) -> None:
    (result,) = audit(PAGES / "low-contrast-light.html").values()
    assert [(c.scheme, c.text, c.ratio) for c in result.contrast] == [
        ("light", "Die Ernte kam spät in diesem Jahr.", 2.61)
    ]


@pytest.mark.browser
def test_low_contrast_only_in_dark_mode(audit: Audit) -> None:
    (result,) = audit(PAGES / "low-contrast-dark.html").values()
    assert [(c.scheme, c.color, c.background) for c in result.contrast] == [
        ("dark", "rgb(74, 77, 82)", "rgb(17, 18, 20)")
    ]
    # axe runs in light mode only and misses it: the measurement in dark mode is what finds it
    assert not [v for v in result.axe if v.rule == "color-contrast"]


@pytest.mark.browser
def test_dark_background_with_the_light_mode_text_colour(audit: Audit) -> None:
    (result,) = audit(PAGES / "dark-mode-keeps-dark-text.html").values()
    assert {c.scheme for c in result.contrast} == {"dark"}
    (problem,) = audit_problems(result)
    assert problem.message.startswith("text contrast 1.11:1 in dark mode is below 4.5:1")
    assert problem.message.endswith("and 9 more")


@pytest.mark.browser
def test_accessible_page_passes(audit: Audit) -> None:
    (result,) = audit(PAGES / "accessible.html").values()
    assert audit_problems(result) == [] and result.axe == []
