"""Figures read from sanitized HTML and written back; video players as links to watch them."""

from __future__ import annotations

import pytest

from newsletter.figures import (
    figure_html,
    fitted,
    image_block,
    image_from_html,
    is_embed,
    is_video,
    secure_url,
    split_credit,
    watch_url,
)
from newsletter.model import Image
from newsletter.sanitize import clean_html
from newsletter.sources.markdown import parse_body


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Boats at Moynaq. Photo: A. B.", ("Boats at Moynaq.", "Photo: A. B.")),
        ("Des bateaux à Moynaq. Photo : Novastan", ("Des bateaux à Moynaq.", "Photo : Novastan")),
        ("Schiffe in Moynaq (Foto: Novastan)", ("Schiffe in Moynaq", "Foto: Novastan)")),
        ("Boats at Moynaq © Reuters", ("Boats at Moynaq", "© Reuters")),
        ("© Reuters", ("", "© Reuters")),
        ("Boats at Moynaq", ("Boats at Moynaq", "")),
        ("A photograph: boats", ("A photograph: boats", "")),  # "photograph:" is no credit mark
    ],
)
def test_a_credit_written_in_the_caption_is_split_off(caption: str, expected: tuple[str, str]) -> None:
    assert split_credit(caption) == expected


def test_a_credit_marked_up_in_the_caption_wins() -> None:
    html = (
        '<figure><img src="https://x.example/a.jpg" alt="A">'
        "<figcaption>Boats. Photo: kept <cite>Reuters</cite></figcaption></figure>"
    )
    image = image_from_html(html)
    assert image == Image("https://x.example/a.jpg", "A", "Boats. Photo: kept", "Reuters")


def test_two_pictures_are_no_one_image() -> None:
    assert (
        image_from_html('<p><img src="https://x.example/a.jpg"><img src="https://x.example/b.jpg"></p>')
        is None
    )
    assert image_from_html("<figure><figcaption>Only words</figcaption></figure>") is None


@pytest.mark.parametrize(("width", "height"), [("1200px", "abc"), ("0", "-3"), ("99999", "")])
def test_sizes_that_are_no_pixels_are_dropped(width: str, height: str) -> None:
    image = image_from_html(f'<img src="https://x.example/a.jpg" width="{width}" height="{height}">')
    assert image is not None and image.height is None
    assert image.width == (1200 if width == "1200px" else None)


def test_the_figure_reads_back_as_the_same_image_and_passes_the_sanitizer() -> None:
    image = Image("https://x.example/a.jpg?w=1&h=2", 'Boats "&" <sea>', "Caption & more", "© Me", 1200, 800)
    html = figure_html(image)
    assert clean_html(html) == html
    assert image_from_html(html) == image
    assert image_block(image).html == html and image_block(image).text == image.alt


def test_a_wide_image_is_scaled_to_the_column_keeping_its_shape() -> None:
    assert fitted(Image("u", width=1600, height=900), 536) == (536, 302)
    assert fitted(Image("u", width=400, height=300), 536) == (400, 300)
    assert fitted(Image("u", width=1600), 536) == (536, None)
    assert fitted(Image("u"), 536) == (None, None)


@pytest.mark.parametrize(
    ("src", "watch"),
    [
        ("https://www.youtube.com/embed/abc123?feature=oembed", "https://www.youtube.com/watch?v=abc123"),
        ("https://www.youtube-nocookie.com/embed/abc123", "https://www.youtube.com/watch?v=abc123"),
        ("https://www.youtube.com/embed/videoseries?list=PL1", "https://www.youtube.com/playlist?list=PL1"),
        ("https://player.vimeo.com/video/76979871?h=8272103f6e", "https://vimeo.com/76979871"),
        ("https://media.example/clip.mp4", "https://media.example/clip.mp4"),
    ],
)
def test_players_become_their_watch_pages(src: str, watch: str) -> None:
    assert watch_url(src) == watch


def test_only_video_players_are_videos() -> None:
    assert is_video("iframe", "https://www.youtube.com/embed/x")
    assert is_video("video", "https://media.example/clip.mp4")
    assert not is_video("iframe", "https://maps.example/embed?q=x")


@pytest.mark.parametrize(
    ("url", "page", "secure"),
    [
        ("https://cdn.example/a.jpg", None, "https://cdn.example/a.jpg"),
        ("http://magazine.example/a.jpg", "https://magazine.example/post/", "https://magazine.example/a.jpg"),
        ("http://cdn.example/a.jpg", "https://magazine.example/post/", None),
        ("http://magazine.example/a.jpg", "http://magazine.example/post/", None),
        ("images/a.jpg", None, None),
    ],
)
def test_only_https_images_or_the_pages_own_upgraded(url: str, page: str | None, secure: str | None) -> None:
    assert secure_url(url, page) == secure


def test_markdown_embeds_become_links_in_order() -> None:
    body = (
        '<video controls><source src="https://media.example/clip.mp4" type="video/mp4"></video>\n\n'
        '<iframe src="https://maps.example/embed?q=x"></iframe>\n\n'
        '<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X"></iframe>\n\n'
        "<!-- video: https://vimeo.com/1 -->\n\n"
        "<!-- embed: https://charts.example/c/1 -->\n"
    )
    (section,) = parse_body(body, related_count=0, path="x.md")
    assert [(b.kind, b.url) for b in section.blocks] == [
        ("video", "https://media.example/clip.mp4"),
        ("embed", "https://maps.example/embed?q=x"),  # a map: a link to open it
        ("video", "https://vimeo.com/1"),
        ("embed", "https://charts.example/c/1"),
    ]


@pytest.mark.parametrize(
    ("element", "src", "linked"),
    [
        ("iframe", "https://datawrapper.dwcdn.net/AbC12/1/", True),  # a chart
        ("iframe", "https://maps.example/embed?q=x", True),
        ("iframe", "http://maps.example/embed?q=x", False),  # not https: no link to it
        ("iframe", "https://googleads.g.doubleclick.net/pagead/ads?x=1", False),
        ("iframe", "https://www.facebook.com/plugins/like.php?href=x", False),
        ("iframe", "https://www.google.com/recaptcha/api2/anchor", False),
        ("embed", "https://maps.example/embed?q=x", False),  # plugins are no content to open
        ("video", "https://media.example/clip.mp4", True),
    ],
)
def test_which_embeds_leave_a_link(element: str, src: str, linked: bool) -> None:
    assert is_embed(element, src) is linked
