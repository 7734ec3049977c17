"""`newsletter init DIR`: a new newsletter from the skeleton shipped in the package.

The skeleton (newsletter/skeleton/) holds copies of the repository's templates and workflows
(kept in sync by tools/sync-skeleton.py) and a few files of its own. Names starting with
"dot-" become dot-files ("dot-github" -> ".github"), so no packaging tool drops them as hidden;
files ending in ".in" are filled in (`${title}`, `${base_url}`, …) and lose the suffix; every
other file is copied byte for byte.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import re
import shutil
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .defaults import DISTRIBUTION
from .errors import NewsletterError
from .sources.front_matter import slugify

SKELETON = Path(__file__).parent / "skeleton"
DEFAULT_BASE_URL = "https://example.org/newsletter/"
TOOL_NOTE = (
    "# Nothing tells where this copy of the tool came from: point the next line at it, e.g.\n"
    f"#   {DISTRIBUTION} @ git+https://github.com/OWNER/newsletter@v0.1.0\n"
)


@dataclass(frozen=True)
class ScaffoldResult:
    root: Path
    files: tuple[Path, ...]  # written, relative to root
    notes: tuple[str, ...]  # things the editor still has to do


def target_name(rel: Path) -> Path:
    """Where a skeleton file goes: "dot-github/workflows/x.yml" -> ".github/workflows/x.yml"."""
    parts = ["." + p[4:] if p.startswith("dot-") else p for p in rel.parts]
    if parts[-1].endswith(".in"):
        parts[-1] = parts[-1][:-3]
    return Path(*parts)


def skeleton_files() -> list[tuple[Path, Path]]:
    """(source file, target path relative to the new newsletter), in a stable order."""
    return [
        (p, target_name(p.relative_to(SKELETON)))
        for p in sorted(SKELETON.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]


def tool_requirement() -> tuple[str, str]:
    """A pip requirement for this tool, for CI, and a note when it is only a guess.

    An install from a Git URL records it (PEP 610 direct_url.json): that is what CI installs too.
    Otherwise it is the project's repository (its `Repository` URL) at the release tag
    `v<version>`; without one, only the version is known and the note asks where it comes from.
    """
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return DISTRIBUTION, TOOL_NOTE
    raw = dist.read_text("direct_url.json")
    if raw:
        try:
            info = json.loads(raw)
        except ValueError:
            info = {}
        vcs = info.get("vcs_info") or {}
        url = str(info.get("url", ""))
        if vcs.get("vcs") == "git" and url.startswith(("https://", "ssh://")):
            return f"{DISTRIBUTION} @ git+{url}@{vcs.get('commit_id') or vcs.get('requested_revision')}", ""
    for entry in dist.metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository" and url.strip().startswith("https://"):
            return f"{DISTRIBUTION} @ git+{url.strip()}@v{dist.version}", ""
    return f"{DISTRIBUTION}=={dist.version}", TOOL_NOTE


def _absolute_url(url: str, option: str) -> str:
    """`url` as an absolute http(s) URL ending in "/", or NewsletterError naming `option`."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c in url for c in '"\\ '):
        raise NewsletterError(f"{option} {url!r} must be an absolute http(s) URL, e.g. {DEFAULT_BASE_URL}")
    return url if url.endswith("/") else url + "/"


def _service_lines(service_url: str | None) -> str:
    """The [site] lines for the sign-up service: its form and its one-click unsubscribe page, or,
    without a service, a note that readers unsubscribe by email until there is one."""
    if service_url:
        return (
            f'subscribe_url = "{service_url}subscribe"\n'
            f'unsubscribe_url = "{service_url}unsubscribe/{{token}}"\n'
        )
    return (
        "# No sign-up service yet: readers unsubscribe by email ([email] unsubscribe_mailto), and\n"
        "# `newsletter send` waits for one. Run `newsletter serve` somewhere, then set e.g.\n"
        '#   subscribe_url = "https://SERVICE/subscribe"\n'
        '#   unsubscribe_url = "https://SERVICE/unsubscribe/{token}"\n'
    )


def _values(
    root: Path, title: str | None, base_url: str | None, tool: str | None, service_url: str | None = None
) -> dict[str, str]:
    name = root.resolve().name or "newsletter"
    title = title or " ".join(w.capitalize() for w in re.split(r"[-_\s]+", name) if w) or "Newsletter"
    if any(c in title for c in '"\\\n\r') or not title.strip():
        raise NewsletterError(f"--title {title!r}: use plain text without quotes or backslashes")
    url = _absolute_url(base_url or DEFAULT_BASE_URL, "--base-url")
    domain = urlsplit(url).hostname or ""
    service = _absolute_url(service_url, "--service-url") if service_url else None
    requirement, note = (tool, "") if tool else tool_requirement()
    return {
        "title": title,
        "author_yaml": json.dumps(title, ensure_ascii=False),
        "base_url": url,
        "domain": domain,
        "feed_id": f"tag:{domain},{dt.date.today().year}:{slugify(title)}",
        "tool_requirement": requirement,
        "tool_note": note,
        "service_lines": _service_lines(service),
    }


def scaffold(
    directory: Path,
    *,
    title: str | None = None,
    base_url: str | None = None,
    tool_requirement: str | None = None,
    service_url: str | None = None,
) -> ScaffoldResult:
    """Create a newsletter in `directory` (new, or without any of the files it would write).

    Refuses, writing nothing, if any file would be overwritten: an init never destroys work.
    """
    values = _values(directory, title, base_url, tool_requirement, service_url)
    files = skeleton_files()
    clashes = [str(directory / rel) for _, rel in files if (directory / rel).exists()]
    if clashes:
        more = f" and {len(clashes) - 3} more" if len(clashes) > 3 else ""
        raise NewsletterError(
            f"would overwrite {', '.join(clashes[:3])}{more}; init into a new or empty folder"
        )
    written = []
    try:
        for source, rel in files:
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.name.endswith(".in"):
                text = string.Template(source.read_text(encoding="utf-8")).substitute(values)
                target.write_text(text, encoding="utf-8")
            else:
                shutil.copyfile(source, target)
            if rel.parts[0] == ".ci":
                target.chmod(0o755)
            written.append(rel)
    except OSError as e:
        raise NewsletterError(f"cannot write the new newsletter: {e.strerror}", path=str(directory)) from None
    notes = []
    if not base_url:
        notes.append(f"set [site] base_url in newsletter.toml (now {DEFAULT_BASE_URL})")
    if not service_url:
        notes.append(
            "no --service-url: readers unsubscribe by email only, and `newsletter send` refuses until "
            "[site] unsubscribe_url points at a running `newsletter serve` (see newsletter.toml)"
        )
    if values["tool_note"]:
        notes.append("say in requirements.txt where CI installs the newsletter tool from")
    return ScaffoldResult(root=directory, files=tuple(written), notes=tuple(notes))
