"""WebSub: the hub hears `hub.mode=publish` for each feed; a hub that fails is one warning each."""

from __future__ import annotations

from newsletter.delivery.websub import ping_hub

from .smtp_servers import free_port
from .websub_hub import websub_hub

FEEDS = ["https://news.example.org/feed.atom", "https://news.example.org/feed.rss"]


def test_hub_receives_one_publish_ping_per_feed() -> None:
    with websub_hub() as (url, received):
        assert ping_hub(url, FEEDS) == []
    assert received == [{"hub.mode": ["publish"], "hub.url": [feed]} for feed in FEEDS]


def test_hub_refusing_is_a_warning_per_feed() -> None:
    with websub_hub(status=500) as (url, received):
        warnings = ping_hub(url, FEEDS[:1])
    assert warnings == [f"warning: the WebSub hub {url} refused {FEEDS[0]}: HTTP 500 Internal Server Error"]
    assert len(received) == 1


def test_unreachable_hub_is_a_warning_never_an_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/hub"
    (warning,) = ping_hub(url, FEEDS[:1], timeout=2)
    assert warning.startswith(f"warning: the WebSub hub {url} was not reached for {FEEDS[0]}: ")
    assert "\n" not in warning
