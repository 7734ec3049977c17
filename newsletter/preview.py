"""`newsletter preview`: serve the built output on loopback, rebuild on change.

`/_preview/<slug>/` shows an issue's email at phone and desktop widths side by side.
"""

from __future__ import annotations

import functools
import html
import threading
import time
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PREVIEW_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Preview: {slug}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1rem;background:#ddd}}
.frames{{display:flex;gap:2rem;align-items:flex-start;flex-wrap:wrap}}
figure{{margin:0}}iframe{{border:1px solid #999;background:#fff;height:85vh}}</style></head>
<body><p><a href="/">archive</a> · <a href="/issues/{slug}/email.txt">text part</a>
· <a href="/issues/{slug}/">web page</a></p><div class="frames">
<figure><figcaption>phone, 375 px</figcaption>
<iframe title="phone" src="/issues/{slug}/email.html" width="375"></iframe></figure>
<figure><figcaption>desktop, 800 px</figcaption>
<iframe title="desktop" src="/issues/{slug}/email.html" width="800"></iframe></figure>
</div></body></html>"""


class PreviewHandler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/_preview/"):
            slug = self.path.removeprefix("/_preview/").strip("/").split("/")[0]
            body = PREVIEW_PAGE.format(slug=html.escape(slug)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # quiet: the CLI prints what matters
        pass


def watch(
    paths: list[Path],
    rebuild: Callable[[], None],
    stop: threading.Event,
    debounce_ms: int = 200,
    ready: threading.Event | None = None,
) -> None:
    """Call `rebuild` whenever a file under `paths` (folders or files) changes, until `stop`.

    Paths that do not exist are left out; symlinked folders (templates/) are watched where they
    point. A burst of changes (an editor's save) is one rebuild. `ready` is set once the watch is
    in place: a change made after that is never missed.
    """
    import watchfiles

    existing = sorted({p.resolve() for p in paths if p.exists()})
    if not existing:
        if ready is not None:
            ready.set()
        return
    # With yield_on_timeout the first (empty) answer comes once the watcher runs: that is `ready`.
    for changes in watchfiles.watch(
        *existing,
        stop_event=stop,
        debounce=debounce_ms,
        raise_interrupt=False,
        watch_filter=None,
        yield_on_timeout=True,
        rust_timeout=100,
    ):
        if ready is not None:
            ready.set()
        if changes:
            rebuild()


def serve(out: Path, host: str, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(PreviewHandler, directory=str(out))
    return ThreadingHTTPServer((host, port), handler)


def wait_forever() -> None:  # pragma: no cover - interactive
    while True:
        time.sleep(3600)
