"""The one sanitizer: what survives of an image's size, and tracking pixels."""

from __future__ import annotations

import pytest

from newsletter.errors import NewsletterError
from newsletter.sanitize import clean_html, pixels
from newsletter.sources.front_matter import image_field

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


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (1200, 1200),
        ("1200", 1200),
        (" 1200px ", 1200),
        (0, None),
        ("100%", None),
        ("auto", None),
        (20_001, None),
        (True, None),
        (12.5, None),
        (None, None),
    ],
)
def test_one_reading_of_an_image_size(value: object, size: int | None) -> None:
    """HTML attributes, og:image:width, JSON-LD, feeds and front matter all read sizes so."""
    assert pixels(value) == size


@pytest.mark.parametrize("width", [0, 30_000, "800", 1.5])
def test_front_matter_sizes_are_whole_pixels_within_bounds(width: object) -> None:
    with pytest.raises(NewsletterError, match="width must be a number of pixels like 1200"):
        image_field({"url": SRC, "width": width}, None, "issue.md")
