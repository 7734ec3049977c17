"""`newsletter preview`: the built output served on loopback, emails side by side."""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

from newsletter.preview import serve, watch


def test_serves_output_and_side_by_side_page(tmp_path: Path) -> None:
    (tmp_path / "issues" / "x").mkdir(parents=True)
    (tmp_path / "issues" / "x" / "email.html").write_text("<p>hello</p>")
    server = serve(tmp_path, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(f"{base}/_preview/x/") as r:
            page = r.read().decode()
        assert 'width="375"' in page and 'width="800"' in page and "/issues/x/email.html" in page
        with urllib.request.urlopen(f"{base}/issues/x/email.html") as r:
            assert r.read() == b"<p>hello</p>"
    finally:
        server.shutdown()


def test_watch_rebuilds_on_change(tmp_path: Path) -> None:
    watched = tmp_path / "issues"
    watched.mkdir()
    calls: list[int] = []
    changed = threading.Event()
    stop = threading.Event()

    def rebuild() -> None:
        calls.append(1)
        changed.set()

    t = threading.Thread(target=watch, args=([watched], rebuild, stop, 0.05), daemon=True)
    t.start()
    time.sleep(0.3)  # let the watcher take its first snapshot
    (watched / "new.md").write_text("x")
    assert changed.wait(5)
    stop.set()
    t.join(2)
    assert calls
