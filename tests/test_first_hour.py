"""The first hour of a new editor, as the README tells it, in a copy of this repository: set-up,
import (a text dump and an HTML page), build, check, preview, subscribers, send to the outbox,
the sign-up service (subscribe, confirm, one-click unsubscribe), publish --dry-run, and a new
newsletter from `init` with its own `make build`. Every command is the real one, run as a
process; any traceback anywhere fails the test."""

from __future__ import annotations

import email
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import DATA, ROOT, copy_of_the_repository, require, start_interruptible

from bench.measure import free_port

BIN = Path(sys.executable).parent
SECRET = "first-hour-secret-0123456789abcdef"


class Editor:
    """Runs commands in the newsletter's folder and keeps everything they printed."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.env, self.printed = root, env, []

    def run(self, *args: str, ok: tuple[int, ...] = (0,), cwd: Path | None = None) -> str:
        done = subprocess.run(
            args, cwd=cwd or self.root, env=self.env, capture_output=True, text=True, timeout=600
        )
        out = done.stdout + done.stderr
        self.printed.append(f"$ {' '.join(args)}\n{out}")
        assert done.returncode in ok, f"{' '.join(args)} exited {done.returncode}:\n{out}"
        assert "Traceback" not in out, out
        return out

    def newsletter(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        return self.run(str(BIN / "newsletter"), *args, ok=ok)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return start_interruptible(
            [str(BIN / "newsletter"), *args], cwd=self.root, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip

    def stop(self, proc: subprocess.Popen[str]) -> None:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        self.printed.append(out + err)
        assert "Traceback" not in out + err, out + err


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def outbox(root: Path, to: str) -> list[EmailMessage]:
    messages = []
    for path in sorted((root / "state" / "outbox" / "new").glob("*")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        if to in str(msg["To"]):
            messages.append(msg)
    return messages


@pytest.mark.first_hour
@pytest.mark.slow
def test_the_first_hour(tmp_path: Path) -> None:
    require(shutil.which("make") is not None and shutil.which("git") is not None, "make and git")
    root = copy_of_the_repository(tmp_path / "newsletter")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env.update(NEWSLETTER_SECRET=SECRET, PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    editor = Editor(root, env)

    # The README's set-up: `make build` (its virtualenv is this test's: no download here).
    editor.run("make", "build", f"BIN={BIN}", "STAMP=", "NODE_TOOLS=")
    assert (root / "public" / "index.html").exists()
    assert "ok: no problems" in editor.newsletter("check")  # the repository's own issue passes

    # Import a text dump and an HTML page.
    text_issue = editor.newsletter(
        "import", str(DATA / "import" / "examplemag-article.en.txt"), "--date", "2025-11-24T08:00:00+01:00"
    ).strip()
    html_issue = editor.newsletter(
        "import", str(DATA / "import" / "article-page.de.html"), "--date", "2025-11-26T08:00:00+01:00"
    ).strip()
    assert (root / text_issue).is_file() and (root / html_issue).is_file()

    editor.newsletter("build")
    editor.newsletter("check", ok=(0, 1))  # problems are lines naming a file, never a traceback

    # Preview: an edit shows up on the served page.
    port = free_port()
    preview = editor.start("preview", "--port", str(port))
    try:
        slug = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", Path(html_issue).stem)
        page = f"http://127.0.0.1:{port}/issues/{slug}/"
        wait_for(page)
        source = root / html_issue
        source.write_text(
            source.read_text(encoding="utf-8").replace('title: "', 'title: "Erste Stunde: ', 1),
            encoding="utf-8",
        )
        deadline = time.monotonic() + 60
        while "Erste Stunde: " not in fetch(page)[1] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Erste Stunde: " in fetch(page)[1]
    finally:
        editor.stop(preview)

    # A subscriber, and the sample issue sent to the outbox.
    editor.newsletter("subscribers", "add", "lila@example.org", "--name", "Lila", "--language", "de")
    (sample,) = (ROOT / "issues").glob("*.md")
    sample_slug = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", sample.stem)
    editor.newsletter("build")
    assert "sent 1" in editor.newsletter("send", sample_slug)
    (sent,) = outbox(root, "lila@example.org")
    one_click = re.search(r"<(https://[^>]+/unsubscribe/[^>]+)>", str(sent["List-Unsubscribe"]))
    assert one_click, sent["List-Unsubscribe"]

    # The sign-up service: subscribe (the site's form), confirm, one-click unsubscribe.
    port = free_port()
    service = editor.start("serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz")
        status, _ = fetch(
            f"{base}/subscribe",
            urllib.parse.urlencode({"email": "max@example.org", "language": "de"}).encode(),
            {"Origin": "https://newsletter.novastan.org"},
        )
        assert status == 200
        deadline = time.monotonic() + 30
        while not outbox(root, "max@example.org") and time.monotonic() < deadline:
            time.sleep(0.2)
        (confirmation,) = outbox(root, "max@example.org")
        body = confirmation.get_body(("plain",))
        assert body is not None
        link = re.search(r"https?://\S+/(confirm/\S+)", body.get_content())
        assert link, body.get_content()
        assert fetch(f"{base}/{link.group(1)}")[0] == 200
        path = urllib.parse.urlsplit(one_click.group(1)).path
        status, _ = fetch(f"{base}{path}", b"List-Unsubscribe=One-Click")
        assert status == 200
    finally:
        editor.stop(service)
    listed = editor.newsletter("subscribers", "list")
    assert re.search(r"max@example.org\b.*\bactive", listed) and re.search(
        r"lila@example.org\b.*unsub", listed
    )

    editor.newsletter("publish", "--dry-run", "--now", "2025-12-01T06:17:00Z", ok=(0, 1))

    # A newsletter of one's own, and its own `make build`.
    editor.newsletter(
        "init", str(tmp_path / "my-news"), "--title", "My News", "--base-url", "https://me.github.io/my-news/",
        "--service-url", "https://abo.me-news.org/",
    )  # fmt: skip
    editor.run("make", "build", "NODE_TOOLS=", cwd=tmp_path / "my-news")
    assert (tmp_path / "my-news" / "public" / "issues" / "welcome" / "email.html").exists()
    assert "Traceback" not in "".join(editor.printed)
