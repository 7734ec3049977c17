"""WebSub (W3C Recommendation): tell the hub that feeds changed, so readers see a new issue at once.

The ping is the de-facto publisher notification most hubs accept: a form POST of
`hub.mode=publish` and `hub.url=<feed>`. A hub that is down costs a reader a poll interval,
never an issue: every failure is a warning, and sending goes on.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

from ..model import Site
from ..outputs.feeds import ATOM_PATH, JSON_PATH, RSS_PATH


def feed_urls(site: Site) -> list[str]:
    """The feeds that name the hub: the ones a new issue changes (archive pages never do)."""
    return [site.base_url + path for path in (ATOM_PATH, RSS_PATH, JSON_PATH)]


def ping_hub(hub: str, urls: Sequence[str], timeout: float = 10.0) -> list[str]:
    """Notify `hub` of each changed feed; returns one warning line per feed the hub did not take."""
    warnings = []
    for url in urls:
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": url}).encode("ascii")
        request = urllib.request.Request(
            hub, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read(1000)
        except urllib.error.HTTPError as e:
            warnings.append(f"warning: the WebSub hub {hub} refused {url}: HTTP {e.code} {e.reason}")
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            warnings.append(f"warning: the WebSub hub {hub} was not reached for {url}: {reason}")
    return warnings
