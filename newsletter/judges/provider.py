"""What Gmail, Yahoo and the common clients require of bulk mail, checked on one built issue.

Bulk-sender rules (one-click List-Unsubscribe, a visible unsubscribe link) and the limits that
break rendering: Gmail clips HTML over ~102 KB, clients drop remote stylesheets and fonts,
Outlook needs its conditional comments, the inbox preview needs a preheader of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from bs4 import NavigableString

from ..outputs.message import UNSUBSCRIBE_PLACEHOLDER
from .html import is_hidden, normalized, parse, visible_blocks
from .problems import Problem

#: The placeholder as built, and as an HTML serializer may have URL-escaped it.
PLACEHOLDERS = (UNSUBSCRIBE_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER.replace("{", "%7B").replace("}", "%7D"))
#: Length of a real unsubscribe token (a signed address: ~90 characters), for the size check.
TOKEN_LENGTH = 96
_MIN_COPY = 15  # shorter common beginnings ("Novastan …") are coincidence, not a copy
_MSO = re.compile(r"<!--\[if\s[^\]]*\bmso\b", re.I)
_REMOTE_FONTS = re.compile(
    r"fonts\.googleapis\.com|fonts\.gstatic\.com|use\.typekit\.net|fonts\.bunny\.net|"
    r"@font-face[^}]*url\(\s*['\"]?(?:https?:)?//",
    re.I,
)
_IMPORT = re.compile(r"@import\b", re.I)


@dataclass
class ProviderVerdict:
    """Problems (fail `check`), warnings (printed only) and the measured sizes of one issue."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    subject: str = ""


def personalized(html: str, unsubscribe_url: str) -> str:
    """The HTML as one recipient gets it: every placeholder replaced by their URL."""
    for placeholder in PLACEHOLDERS:
        html = html.replace(placeholder, unsubscribe_url)
    return html


def _same_start(a: str, b: str) -> bool:
    a, b = (s.rstrip(" .…").casefold() for s in (a, b))
    short, long = sorted((a, b), key=len)
    return (len(short) >= _MIN_COPY and long.startswith(short)) or (bool(short) and a == b)


def judge_html(path: Path, html: str, *, unsubscribe_url: str, max_bytes: int) -> ProviderVerdict:
    """Preheader, size after personalization, footer unsubscribe link, MSO, remote CSS, links."""
    verdict = ProviderVerdict()
    p = str(path)

    def problem(message: str) -> None:
        verdict.problems.append(Problem(p, message))

    soup = parse(html)
    raw = len(html.encode("utf-8"))
    size = len(personalized(html, unsubscribe_url).encode("utf-8"))
    verdict.sizes.update(email_html=raw, email_html_personalized=size)
    if size > max_bytes:
        problem(
            f"{size:,} bytes with a recipient's unsubscribe link; Gmail clips emails over "
            f"{max_bytes:,}: shorten the issue"
        )

    body = soup.body
    first = body.find(True) if body else None
    hidden_first = first is not None and is_hidden(first)
    preheader = normalized(first.get_text(" ")) if first is not None and hidden_first else ""
    if not hidden_first:
        problem("no preheader (hidden preview text first in <body>); keep <mj-preview> in templates/email")
    elif not preheader:
        problem(
            "the preheader is empty: the summary is the first paragraph, with no second sentence or "
            "subheading to preview instead; give the issue a `preheader:` in its front matter"
        )
    else:
        # The inbox shows the subject and then the preheader, or without one the body's first
        # line: a preheader repeating either adds nothing to the preview.
        blocks = visible_blocks(soup)
        h1 = soup.find("h1")
        opening = [
            ("opening line", blocks[0][1] if blocks else ""),
            ("title", normalized(soup.title.get_text(" ")) if soup.title else ""),
            ("title", normalized(h1.get_text(" ")) if h1 else ""),
        ]
        for what, line in opening:
            if line and _same_start(preheader, line):
                problem(f"the preheader repeats the {what} {line[:60]!r}; give the issue a preheader")
                break

    unsubscribe = [a for a in soup.find_all("a") if str(a.get("href", "")) in PLACEHOLDERS]
    shown = [a for a in unsubscribe if not is_hidden(a) and normalized(a.get_text(" "))]
    if not unsubscribe:
        problem("no unsubscribe link; keep it in templates/email/_footer.mjml")
    elif not shown:
        problem("the unsubscribe link is hidden or has no text; show it in the footer")
    else:
        # "In the footer": after the content, so at most the last quarter of the visible text.
        text = normalized(body.get_text(" ")) if body else ""
        following = shown[-1].find_all_next(string=True)
        after = normalized(" ".join(s for s in following if type(s) is NavigableString))
        if text and len(after) > len(text) / 4:
            problem("the unsubscribe link is not in the footer; move it to the end of the email")

    if not _MSO.search(html):
        problem("no Outlook conditional comments (<!--[if mso]>); compile the email with MJML")
    for link in soup.find_all("link"):
        if "stylesheet" in " ".join(link.get("rel") or []).lower():
            problem(f"remote stylesheet {link.get('href')!r}: mail clients drop it; put styles in <mj-style>")
    css = " ".join(s.get_text() for s in soup.find_all("style"))
    css += " ".join(str(t.get("style", "")) for t in soup.find_all(style=True))
    if _IMPORT.search(css):
        problem("@import in the styles: mail clients drop it; put styles in <mj-style>")
    remote = _REMOTE_FONTS.search(html)
    if remote:
        problem(f"remote font ({remote.group(0)[:40]}): clients block it; use system fonts")

    for a in soup.find_all("a", href=True):
        href = str(a["href"]).strip()
        if href in PLACEHOLDERS or href.startswith("https://"):
            continue
        if href.startswith("mailto:") and len(href) > len("mailto:"):
            continue
        problem(f"link {href!r} is not an absolute https URL")
    for img in soup.find_all("img"):
        src = str(img.get("src", ""))
        if not src.startswith("https://"):
            problem(f"image {src!r} is not an absolute https URL")
    return verdict


def judge_message(
    path: Path, data: bytes, *, subject_warn_length: int, one_click: bool = True
) -> ProviderVerdict:
    """One-click unsubscribe headers (RFC 8058), both parts, and the subject's length.

    Without `one_click` (no `[site] unsubscribe_url`: unsubscribing by email only) missing
    one-click headers are a warning: such a newsletter builds, but `newsletter send` refuses it.
    """
    verdict = ProviderVerdict(sizes={"message_eml": len(data)})
    p = str(path)
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)
    verdict.subject = normalized(str(msg.get("Subject", "")))
    unsubscribe = str(msg.get("List-Unsubscribe", ""))
    one_click_problems = verdict.problems if one_click else verdict.warnings
    if "<https://" not in unsubscribe:
        one_click_problems.append(
            Problem(
                p,
                "no https List-Unsubscribe header; set [site] unsubscribe_url with {token} "
                "(the `newsletter serve` service's /unsubscribe/{token})",
            )
        )
    if str(msg.get("List-Unsubscribe-Post", "")).strip() != "List-Unsubscribe=One-Click":
        one_click_problems.append(
            Problem(p, "no List-Unsubscribe-Post: List-Unsubscribe=One-Click header (Gmail/Yahoo require it)")
        )
    if msg.get_body(("plain",)) is None or msg.get_body(("html",)) is None:
        verdict.problems.append(Problem(p, "not multipart/alternative with a text and an HTML part"))
    if not verdict.subject:
        verdict.problems.append(Problem(p, "no subject"))
    elif len(verdict.subject) >= subject_warn_length:
        verdict.warnings.append(
            Problem(
                p,
                f"the subject is {len(verdict.subject)} characters; inboxes cut it near "
                f"{subject_warn_length}: shorten the title",
            )
        )
    return verdict
