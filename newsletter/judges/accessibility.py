"""Can a screen reader, a keyboard or a low-vision reader use the email and the web pages?

Two layers. `structure_problems` reads the HTML as it is (no browser): document language and
direction, layout tables marked `role="presentation"`, `alt` on images, headings in order,
link texts that say where they lead. `audit_pages` opens each page in headless Chromium
(nothing fetched), runs axe-core in it, and measures text contrast in light and dark mode.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bs4 import Tag

from ..errors import NewsletterError, toml_error
from .html import is_hidden, language_of, normalized, parse
from .problems import Problem

HERE = Path(__file__).parent
LINK_TEXTS = HERE / "link_texts.toml"
CONTRAST_JS = HERE / "contrast.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_RELATIVE = Path("node_modules/axe-core/axe.min.js")
#: WCAG 2 AA for body text; applied to all text, in light and in dark mode.
MIN_CONTRAST = 4.5
SCHEMES = ("light", "dark")
#: axe impacts that fail `check`; "moderate" and "minor" ones are only reported.
FAILING_IMPACTS = frozenset({"serious", "critical"})
_HEADING = re.compile(r"^h([1-6])$")
_TRIM = " \t\n.:;,!?…»«›‹→←>\"'“”„()[]"


# --- without a browser -------------------------------------------------------------------


@lru_cache(maxsize=4)
def vague_link_texts(path: Path = LINK_TEXTS) -> dict[str, frozenset[str]]:
    """Language -> link texts that say nothing (the data file, not code, holds the words)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise toml_error(e, str(path)) from None
    except OSError as e:
        raise NewsletterError(f"cannot read the link-text word list: {e}", path=str(path)) from None
    return {lang: frozenset(w.casefold() for w in table.get("vague", [])) for lang, table in data.items()}


def _is_layout_table(table: Tag) -> bool:
    if table.get("role") in ("presentation", "none"):
        return False
    if table.get("role") in ("table", "grid", "treegrid"):
        return False
    # A data table has headers or a caption of its own (not those of a table nested in it).
    return not any(h.find_parent("table") is table for h in table.find_all(["th", "caption", "thead"]))


def _accessible_name(a: Tag) -> str:
    label = str(a.get("aria-label", "")).strip()
    if label:
        return normalized(label)
    parts = [a.get_text(" ")] + [str(img.get("alt", "")) for img in a.find_all("img")]
    return normalized(" ".join(parts))


def _vague_for(words: dict[str, frozenset[str]], language: str) -> frozenset[str]:
    """The vague texts of `language` and English; of every language when it is not known."""
    if not language:
        return frozenset().union(*words.values())
    return words.get(language, frozenset()) | words.get("en", frozenset())


def structure_problems(path: Path, html: str | bytes) -> list[Problem]:
    """The document rules axe does not (fully) cover, read from the HTML itself."""
    p = str(path)
    soup = parse(html)
    problems: list[Problem] = []
    root = soup.find("html")
    if not isinstance(root, Tag) or not str(root.get("lang", "")).strip():
        problems.append(Problem(p, 'no lang on <html>; screen readers guess the language: add lang="…"'))
    if not isinstance(root, Tag) or str(root.get("dir", "")).strip().lower() not in ("ltr", "rtl", "auto"):
        problems.append(Problem(p, 'no dir on <html>; add dir="ltr" (or "rtl")'))
    for table in soup.find_all("table"):
        if _is_layout_table(table):
            text = normalized(table.get_text(" "))[:40]
            problems.append(
                Problem(p, f'layout table without role="presentation" ({text!r}); screen readers announce it')
            )
    for img in soup.find_all("img"):
        if img.get("alt") is None:
            problems.append(Problem(p, f"image {img.get('src')!r} has no alt text"))
    previous = 0
    for heading in soup.find_all(_HEADING):
        if is_hidden(heading):
            continue
        level = int(heading.name[1])
        if level > previous + 1:
            text = normalized(heading.get_text(" "))[:50]
            after = f"after <h{previous}>" if previous else "as the first heading"
            problems.append(Problem(p, f"<h{level}> {text!r} {after}: headings skip a level"))
        previous = level
    words = vague_link_texts()
    for a in soup.find_all("a", href=True):
        if is_hidden(a):
            continue
        name = _accessible_name(a)
        key = name.casefold().strip(_TRIM)
        if not key:
            problems.append(Problem(p, f"link {a['href']!r} has no text; screen readers read out the URL"))
        elif key in _vague_for(words, language_of(a)):
            problems.append(
                Problem(p, f"link text {name!r} does not say where {a['href']!r} leads; name the target")
            )
    return problems


# --- in headless Chromium ----------------------------------------------------------------


@dataclass(frozen=True)
class AxeViolation:
    """One axe-core rule broken on a page, with the elements (CSS selectors) breaking it."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class ContrastFailure:
    """Text whose colour is too close to the background behind it, in one colour scheme."""

    scheme: str
    ratio: float
    color: str
    background: str
    text: str
    selector: str


@dataclass
class PageAudit:
    """What axe and the contrast measurement found on one page."""

    path: str
    axe: list[AxeViolation] = field(default_factory=list)
    contrast: list[ContrastFailure] = field(default_factory=list)


def chromium_path() -> Path | None:
    """The system Chromium (NEWSLETTER_CHROMIUM overrides /usr/bin/chromium), if installed."""
    path = Path(os.environ.get("NEWSLETTER_CHROMIUM") or CHROMIUM)
    return path if path.exists() else None


def axe_script_path(*roots: Path) -> Path | None:
    """axe.min.js from NEWSLETTER_AXE, or node_modules/axe-core under a root or this project."""
    if os.environ.get("NEWSLETTER_AXE"):
        path = Path(os.environ["NEWSLETTER_AXE"])
        return path if path.exists() else None
    for root in (*roots, HERE.parents[1]):
        if (root / AXE_RELATIVE).exists():
            return root / AXE_RELATIVE
    return None


@contextmanager
def _browser(chromium: Path) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise NewsletterError("the playwright Python package is missing; pip install playwright") from None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _axe(page: Any, axe_script: Path) -> tuple[list[AxeViolation], str]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
                           " return {version: axe.version, violations: r.violations}; }")  # fmt: skip
    violations = [
        AxeViolation(
            rule=v["id"],
            impact=v.get("impact") or "minor",
            help=v["help"],
            targets=tuple(" ".join(map(str, n["target"])) for n in v["nodes"]),
        )
        for v in result["violations"]
    ]
    return violations, str(result["version"])


def audit_pages(
    paths: Sequence[Path], *, axe_script: Path, chromium: Path, min_contrast: float = MIN_CONTRAST
) -> tuple[dict[Path, PageAudit], str]:
    """Every page in one headless Chromium: axe-core (light mode) and contrast in both modes.

    Pages are loaded from their bytes and every request they try is refused: a judge must not
    depend on, or reveal itself to, the network. Returns the audits and axe-core's version.
    """
    contrast_js = CONTRAST_JS.read_text(encoding="utf-8")
    audits: dict[Path, PageAudit] = {}
    version = ""
    try:
        with _browser(chromium) as browser:
            # One tab per colour scheme, reused for every page: opening tabs costs more than loading.
            tabs = {scheme: browser.new_page(viewport={"width": 600, "height": 900}) for scheme in SCHEMES}
            for scheme, tab in tabs.items():
                tab.route("**/*", lambda route: route.abort())
                tab.emulate_media(color_scheme=scheme)
            for path in paths:
                audit = PageAudit(str(path))
                html = path.read_text(encoding="utf-8", errors="replace")
                for scheme, tab in tabs.items():
                    tab.set_content(html, wait_until="load", timeout=30_000)
                    for f in tab.evaluate(contrast_js, min_contrast):
                        audit.contrast.append(ContrastFailure(scheme=scheme, **f))
                    if scheme == "light":
                        audit.axe, version = _axe(tab, axe_script)
                audits[path] = audit
    except NewsletterError:
        raise
    except Exception as e:  # Playwright reports a broken browser as plain errors
        raise NewsletterError(f"headless Chromium failed: {str(e).splitlines()[0]}") from None
    return audits, version


def audit_problems(audit: PageAudit, min_contrast: float = MIN_CONTRAST) -> list[Problem]:
    """The failing findings of one page, one line each (contrast grouped by colour pair)."""
    problems: list[Problem] = []
    for v in audit.axe:
        if v.impact in FAILING_IMPACTS:
            more = f" and {len(v.targets) - 3} more" if len(v.targets) > 3 else ""
            problems.append(
                Problem(audit.path, f"axe {v.rule} ({v.impact}): {v.help}: {', '.join(v.targets[:3])}{more}")
            )
    groups: dict[tuple[str, str, str], list[ContrastFailure]] = {}
    for c in audit.contrast:
        groups.setdefault((c.scheme, c.color, c.background), []).append(c)
    for (scheme, color, background), failures in groups.items():
        first = failures[0]
        more = f" and {len(failures) - 1} more" if len(failures) > 1 else ""
        problems.append(
            Problem(
                audit.path,
                f"text contrast {min(f.ratio for f in failures):.2f}:1 in {scheme} mode is below "
                f"{min_contrast}:1 ({color} on {background}): {first.text!r} ({first.selector}){more}",
            )
        )
    return problems
