"""Headless Chromium for tests that look at rendered output (the email, web pages).

Real Chromium from the system (/usr/bin/chromium), driven by Playwright; never a downloaded
browser. Missing Chromium or Playwright: the test fails in CI and is skipped locally.
Use it from a test module as

    @pytest.fixture(scope="module")
    def chromium():
        with launch_chromium() as browser:
            yield browser
"""

from __future__ import annotations

import os
import re
import struct
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from newsletter.judges.accessibility import CHROMIUM, CHROMIUM_ARGS  # the one launch setting

ROOT = Path(__file__).resolve().parents[1]


def require(condition: bool, what: str) -> None:
    """Skip locally, fail in CI: a test that needs a browser or Node never passes silently."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} is missing; .ci/run must install it")
    pytest.skip(f"{what} is missing")


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A running headless Chromium (playwright Browser), closed afterwards."""
    require(CHROMIUM.exists(), str(CHROMIUM))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright Python package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def artifact(name: str) -> Path:
    """A path for a screenshot a person can look at: under $NEWSLETTER_TEST_ARTIFACTS (relative
    to the repository; CI keeps artifacts/screenshots), else under the system's temporary folder."""
    configured = os.environ.get("NEWSLETTER_TEST_ARTIFACTS", "").strip()
    folder = ROOT / configured if configured else Path(tempfile.gettempdir()) / "newsletter-test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def png(width: int, height: int) -> bytes:
    """A grey PNG of the given size: what a test serves for an image, instead of the network."""
    row = b"\x00" + b"\x99" * width  # filter byte, then one grey byte per pixel
    pixels = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


_RGB = re.compile(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)")


def luminance(css_color: str) -> float:
    """WCAG 2 relative luminance of a computed CSS colour like "rgb(29, 29, 31)"."""
    m = _RGB.match(css_color)
    assert m, f"not an rgb() colour: {css_color}"

    def channel(v: str) -> float:
        c = float(v) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(x) for x in m.groups())
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two computed colours (1 to 21)."""
    a, b = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


# The text colour of each element and the first opaque background behind it.
COLORS_JS = """
(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
  let node = el, bg = 'rgb(255, 255, 255)';
  while (node && node.nodeType === 1) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c)) { bg = c; break; }
    node = node.parentElement;
  }
  return {text: el.textContent.trim().slice(0, 40), color: getComputedStyle(el).color, background: bg};
})
"""
