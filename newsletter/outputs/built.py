"""`issues/<slug>/issue.json`: what the build tells delivery about each issue it built.

The sender never reads `issues/*.md` again: everything it needs of an issue (its id, slug,
language, subject, date and the names of its built files) is in this small file next to the
issue's email, written by the same build. Its facts are all public already (the feeds carry
the id, title, date and language; the URL carries the slug); the source is named by its file
name only, never by a path on the machine that built it.

The file is written with sorted keys and no timestamp, so the same issue gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

from ..errors import NewsletterError
from ..model import Issue

#: The file's name in each issue's folder.
ISSUE_JSON = "issue.json"
#: Raised when the meaning of a field changes; a reader refuses another format.
FORMAT = 1


@dataclass(frozen=True)
class BuiltIssue:
    """One built issue as delivery sees it: facts, and its files relative to its folder."""

    id: str
    slug: str
    language: str
    subject: str
    date: dt.datetime
    source: str = ""  # the source's file name, e.g. "2025-11-20-title.md"
    html: str = "email.html"
    text: str = "email.txt"
    page: str = "index.html"

    @classmethod
    def of(cls, issue: Issue) -> BuiltIssue:
        """What the build records of `issue`."""
        return cls(
            id=issue.id,
            slug=issue.slug,
            language=issue.language,
            subject=issue.article.title,
            date=issue.date,
            source=PurePath(issue.source_path).name if issue.source_path else "",
        )


def issue_json(issue: Issue) -> bytes:
    """The bytes of `issue`'s issue.json."""
    built = BuiltIssue.of(issue)
    data = {
        "format": FORMAT,
        "id": built.id,
        "slug": built.slug,
        "language": built.language,
        "subject": built.subject,
        "date": built.date.isoformat(),
        "source": built.source,
        "files": {"html": built.html, "text": built.text, "page": built.page},
    }
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def issue_folder(public: Path, slug: str) -> Path:
    """Where the build puts the files of the issue with `slug`."""
    return public / "issues" / slug


def built_file(folder: Path, name: str) -> bytes:
    """The built file `name` of the issue in `folder`, or NewsletterError saying to build."""
    path = folder / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NewsletterError(
            f"issue {folder.name!r} is not built ({name} is missing); run `newsletter build` first",
            path=str(path),
        ) from None
    except OSError as e:
        raise NewsletterError(f"cannot read the built issue: {e}", path=str(path)) from None


def built_email(public: Path, issue: BuiltIssue) -> tuple[str, str]:
    """The built HTML and text parts of `issue`'s email, or NewsletterError saying to build."""
    folder = issue_folder(public, issue.slug)
    parts = []
    for name in (issue.html, issue.text):
        try:
            parts.append(built_file(folder, name).decode())
        except UnicodeDecodeError as e:
            raise NewsletterError(f"cannot read the built issue: {e}", path=str(folder / name)) from None
    return parts[0], parts[1]


def read_built_issue(folder: Path) -> BuiltIssue:
    """The issue.json in `folder`, or NewsletterError saying to build (again)."""
    path = folder / ISSUE_JSON
    try:
        data = json.loads(built_file(folder, ISSUE_JSON))
    except ValueError as e:
        raise NewsletterError(
            f"cannot read the built issue: {e}; run `newsletter build` again", path=str(path)
        ) from None
    try:
        if data["format"] != FORMAT:
            raise ValueError(f"format {data['format']!r}, not {FORMAT}")
        files = data["files"]
        return BuiltIssue(
            id=str(data["id"]),
            slug=str(data["slug"]),
            language=str(data["language"]),
            subject=str(data["subject"]),
            date=dt.datetime.fromisoformat(data["date"]),
            source=str(data["source"]),
            html=_file_name(files["html"]),
            text=_file_name(files["text"]),
            page=_file_name(files["page"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise NewsletterError(
            f"is not an issue.json this version writes ({type(e).__name__}: {e}); "
            "run `newsletter build` again",
            path=str(path),
        ) from None


def _file_name(value: object) -> str:
    """A file name inside the issue's folder: never a path that leads out of it."""
    name = str(value)
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise ValueError(f"{name!r} is not a file name")
    return name


def built_issues(public: Path) -> Iterator[BuiltIssue]:
    """Every issue built into `public`, in no particular order (folders without issue.json are
    skipped: they are not issues)."""
    folder = public / "issues"
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if (path / ISSUE_JSON).is_file():
            yield read_built_issue(path)
