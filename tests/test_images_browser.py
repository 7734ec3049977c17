"""An issue with images, and the edition pages, in real headless Chromium at phone and desktop
widths: nothing scrolls sideways, every image stays inside its column; axe-core finds nothing
serious. Images are served from memory (a grey PNG of each one's size): no network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import artifact, launch_chromium, png
from conftest import require
from test_images import LEAD, MAP, SLUG, make_newsletter

from newsletter.build import build
from newsletter.config import load_config
from newsletter.judges.accessibility import audit_pages, audit_problems, axe_script_path, chromium_path

pytestmark = pytest.mark.browser

WIDTHS = (320, 375, 600)
SIZES = {LEAD.url: (1600, 900), MAP: (800, 1200)}
EMAIL_COLUMN = 536


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("images-browser") / "news"
    make_newsletter(root)
    build(load_config(root / "newsletter.toml"), root / "public", use_cache=False)
    return root / "public"


# First in the module: axe runs its own Chromium, which cannot start beside the fixture's.
def test_axe_finds_nothing_serious_on_the_email_page_and_edition_pages(public: Path) -> None:
    chromium, axe = chromium_path(), axe_script_path()
    require(chromium is not None, "/usr/bin/chromium")
    require(axe is not None, "node_modules/axe-core (npm install)")
    assert chromium and axe
    pages = [public / "issues" / SLUG / "email.html", public / "issues" / SLUG / "index.html"]
    pages += [public / edition / "index.html" for edition in ("", "de", "fr", "en")]
    audits, _ = audit_pages(pages, axe_script=axe, chromium=chromium)
    for path, result in audits.items():
        assert audit_problems(result) == [], path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launch_chromium() as browser:
        yield browser


def show(chromium: Any, path: Path, width: int) -> tuple[Any, list[str]]:
    """`path` at `width` px: images get a PNG of their size, every other request is refused."""
    page = chromium.new_page(viewport={"width": width, "height": 800})
    refused: list[str] = []

    def answer(route: Any) -> None:
        url = route.request.url
        if url in SIZES:
            route.fulfill(status=200, content_type="image/png", body=png(*SIZES[url]))
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", answer)
    page.set_content(path.read_text(encoding="utf-8"), wait_until="load")
    page.evaluate(  # lazy images load when scrolled to: show them all
        "Promise.all([...document.images].map(i => {"
        " i.loading = 'eager'; return i.decode().catch(() => null); }))"
    )
    return page, refused


def layout(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => ({
          scroll: document.documentElement.scrollWidth,
          inner: window.innerWidth,
          images: [...document.images].map(i => {
            const r = i.getBoundingClientRect(), box = i.parentElement.getBoundingClientRect();
            return {src: i.currentSrc || i.src, left: r.left, right: r.right, width: r.width,
                    natural: i.naturalWidth, boxLeft: box.left, boxRight: box.right};
          }),
        })"""
    )


def assert_fits(found: dict[str, Any], width: int, column: int | None = None) -> None:
    assert found["scroll"] <= found["inner"] + 1, f"scrolls sideways at {width}px"
    for image in found["images"]:
        assert image["left"] >= -0.5 and image["right"] <= width + 0.5, image
        assert image["left"] >= image["boxLeft"] - 0.5 and image["right"] <= image["boxRight"] + 0.5, image
        if column:
            assert image["width"] <= column + 0.5, image


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "column"), [("email.html", EMAIL_COLUMN), ("index.html", None)])
def test_the_issue_with_images_fits_every_width(
    chromium: Any, public: Path, name: str, column: int | None, width: int
) -> None:
    page, refused = show(chromium, public / "issues" / SLUG / name, width)
    found = layout(page)
    page.screenshot(path=artifact(f"{'email' if column else 'page'}-images-{width}.png"), full_page=True)
    page.close()
    assert_fits(found, width, column)  # the email's column is 536 px wide at most
    shown = {i["src"]: i for i in found["images"]}
    assert set(shown) == set(SIZES) and all(i["natural"] > 0 for i in shown.values())
    assert refused == []  # nothing else is fetched


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("edition", ["", "de", "fr", "en"])
def test_the_edition_pages_fit_every_width(chromium: Any, public: Path, edition: str, width: int) -> None:
    page, _ = show(chromium, public / edition / "index.html", width)
    found = layout(page)
    page.screenshot(path=artifact(f"archive-{edition or 'root'}-{width}.png"), full_page=True)
    page.close()
    assert_fits(found, width)
