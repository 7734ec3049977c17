"""`newsletter preview`: the built output served on loopback, emails side by side."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

from conftest import ROOT, start_interruptible

from bench.measure import free_port
from newsletter.preview import serve, watch

BIN = Path(sys.executable).parent


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

    t = threading.Thread(target=watch, args=([watched, tmp_path / "missing"], rebuild, stop, 50), daemon=True)
    t.start()
    deadline = time.monotonic() + 20
    while not changed.is_set() and time.monotonic() < deadline:  # until the watcher is up
        (watched / "new.md").write_text(str(time.monotonic()))
        changed.wait(0.5)
    assert changed.is_set()
    stop.set()
    t.join(5)
    assert calls and not t.is_alive()


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return str(r.read().decode("utf-8"))
    except OSError:
        return ""


def test_plain_preview_rebuilds_an_edited_issue(make_newsletter: Callable[[Iterable[Path]], Path]) -> None:
    """As the README says: `newsletter preview` in the newsletter's folder, no --config; editing
    an issue changes the served page, and nothing prints a traceback."""
    root = make_newsletter(sorted((ROOT / "issues").glob("*.md")))
    (issue,) = (root / "issues").glob("*.md")
    port = free_port()
    proc = start_interruptible(
        [str(BIN / "newsletter"), "preview", "--port", str(port)],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        while not any("/_preview/" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines) + (proc.stderr.read() if proc.stderr else "")
            lines.append(line)
        slug = lines[-1].split("/_preview/")[1].strip("/\n")
        page = f"http://127.0.0.1:{port}/issues/{slug}/"
        assert "Kasachstan" in _get(page)
        issue.write_text(
            issue.read_text(encoding="utf-8").replace('title: "', 'title: "Vorschau – ', 1), encoding="utf-8"
        )
        deadline = time.monotonic() + 60
        while "Vorschau – " not in _get(page) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Vorschau – " in _get(page)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err, err
