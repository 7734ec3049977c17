"""The one sanitizer: what survives of an image's size, and tracking pixels."""

from __future__ import annotations

import pytest

from newsletter.sanitize import clean_html

SRC = "https://novastan.org/files/steppe.jpg"


@pytest.mark.parametrize(
    ("attributes", "kept"),
    [
        ('width="800" height="600"', ' width="800" height="600"'),
        ('width="800px" height=" 600 "', ' width="800" height="600"'),  # pixels, as HTML reads them
        ('width="100%" height="auto"', ""),  # no pixels: the outputs size it to the column
        ('width="99999999999999999999" height="-5"', ""),  # a mistake, not a size
        ('width="20001"', ""),
    ],
)
def test_an_images_size_is_kept_only_in_pixels(attributes: str, kept: str) -> None:
    assert (
        clean_html(f'<img src="{SRC}" alt="Steppe" {attributes}>') == f'<img src="{SRC}" alt="Steppe"{kept}>'
    )


@pytest.mark.parametrize("size", ["0", "1", "1px"])
def test_a_tracking_pixel_is_dropped(size: str) -> None:
    assert clean_html(f'<p>Text<img src="{SRC}" width="{size}" height="{size}"></p>') == "<p>Text</p>"
