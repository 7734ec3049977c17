"""The pipeline: issue sources -> model -> every output, written atomically into one folder.

Everything is rendered into a fresh sibling folder first; only when every file is written
does it take the place of the previous output. A failed build leaves `public/` as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .errors import NewsletterError
from .model import Issue
from .outputs.email import render_email
from .outputs.feeds import render_feeds
from .outputs.message import compose_message, envelope_for
from .outputs.plaintext import render_text
from .outputs.site import render_index, render_issue_page
from .sources.markdown import read_issues

SAMPLE_RECIPIENT = "leserin@example.org"


@dataclass(frozen=True)
class BuildResult:
    out: Path
    issues: tuple[Issue, ...]
    files: int


def issue_files(config: Config, issue: Issue) -> dict[str, bytes]:
    """Every file of one issue, by path relative to the output folder."""
    site, templates = config.site, config.templates_dir
    html = render_email(site, issue, templates)
    text = render_text(site, issue, templates)
    sample_unsubscribe = (site.unsubscribe_url or site.base_url + "unsubscribe/{token}").format(
        token="sample"
    )
    message = compose_message(
        envelope_for(config, issue),
        html=html,
        text=text,
        to_address=SAMPLE_RECIPIENT,
        unsubscribe_url=sample_unsubscribe,
    )
    base = f"issues/{issue.slug}/"
    return {
        base + "index.html": render_issue_page(site, issue, templates).encode(),
        base + "email.html": html.encode(),
        base + "email.txt": text.encode(),
        base + "message.eml": message.as_bytes(),
    }


def site_files(config: Config, issues: Sequence[Issue]) -> dict[str, bytes]:
    """The files made from all issues together: listing and feeds."""
    files = dict(render_feeds(config.site, issues, config.templates_dir))
    files["index.html"] = render_index(config.site, issues, config.templates_dir).encode()
    files[".nojekyll"] = b""
    return files


def _write(root: Path, rel: str, data: bytes) -> None:
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise NewsletterError(f"refusing to write outside the output folder: {rel}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """A temporary sibling of `out` that replaces it when the block finishes without error."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    out.chmod(0o755)


def due_issues(issues: Sequence[Issue], now: dt.datetime | None) -> list[Issue]:
    """The issues whose publication time has come; all of them when `now` is None."""
    return [i for i in issues if now is None or i.date <= now]


def build(config: Config, out: Path | None = None, *, now: dt.datetime | None = None) -> BuildResult:
    """Build the issues in `issues/` into `out` (default `public/`).

    With `now`, issues dated later are left out: nothing public exists of them until due.
    """
    out = out or config.root / "public"
    issues = due_issues(read_issues(config.issues_dir, max_bytes=config.limits.max_source_bytes), now)
    count = 0
    with atomic_folder(out) as tmp:
        for issue in issues:
            for rel, data in issue_files(config, issue).items():
                _write(tmp, rel, data)
                count += 1
        for rel, data in site_files(config, issues).items():
            _write(tmp, rel, data)
            count += 1
    return BuildResult(out=out, issues=tuple(issues), files=count)
