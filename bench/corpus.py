"""A deterministic corpus of N issues like the sample, in our format, Pelican's and Hugo's.

Every issue is made from the sentences of the sample article (bench/data/sample.de.txt):
permuted, lightly varied, with German umlauts and „quotes“, a lead paragraph, three
subheadings, three related links (`<!-- related: N -->` where each stood) and about 8 KB of
Markdown. The same (n, seed) always gives the same bytes, so every tool reads the same text.

    python -m bench.corpus OUT --issues 1000   # OUT/newsletter, OUT/pelican, OUT/hugo, OUT/hugo-email
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

HERE = Path(__file__).parent
REPO = HERE.parent
SAMPLE = HERE / "data" / "sample.de.txt"
SEED = 20251120
FIRST_DATE = dt.datetime(2000, 1, 3, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
SITE_TITLE = "Novastan Newsletter"
BASE_URL = "https://newsletter.novastan.org/"
TARGET_BYTES = 8_000  # body bytes per issue, like the sample's ~8 KB

# Lines of the sample that are page furniture, not article text.
_FURNITURE = re.compile(
    r"^(Lest auch auf Novastan:|Unterstützt Novastan|Als vereinsgetragene|Noch mehr Zentralasien"
    r"|Aus dem Englischen|.* für Novastan$)"
)
# A sentence ends after a lowercase word's full stop ("16. September" and "D.C." go on).
_SENTENCE = re.compile(r"(?<=[a-zäöüß)][.!?]|[.!?][“”])\s+(?=[A-ZÄÖÜ„])")

HEADINGS = (
    "Ein geopolitischer Kurswechsel?",
    "Ein dringend benötigter Erfolg für Trump",
    "Die Zukunft der kasachstanisch-amerikanischen Zusammenarbeit",
    "Rohstoffe, Routen und Räume",
    "Was Astana davon hat",
    "Zwischen Moskau, Peking und Washington",
    "Stimmen aus der Region",
    "Ein Blick zurück",
    "Wirtschaftliche Folgen für Zentralasien",
    "Die Rolle der Nachbarstaaten",
    "Öffentliche Meinung und Medien",
    "Was bleibt übrig?",
)
PLACES = ("Kasachstan", "Kirgistan", "Usbekistan", "Tadschikistan", "Turkmenistan", "Afghanistan")
TOPICS = (
    "Abraham-Abkommen",
    "Seltenerdmetalle",
    "Wasserversorgung",
    "Grenzöffnung",
    "Energiepolitik",
    "Pressefreiheit",
    "Seidenstraße",
    "Baumwollernte",
    "Bildungsreform",
    "Klimaschutz",
)
QUESTIONS = (
    "Wird sich Washingtons Geste auszahlen?",
    "Was steckt dahinter?",
    "Eine Bilanz nach zwölf Monaten",
    "Wer profitiert davon?",
    "Chancen und Risiken für die Region",
    "Ein Überblick",
)
PEOPLE = (
    "Joseph Fischer",
    "Margaret Bullich",
    "Jörg Müller",
    "Aigerim Sätbajewa",
    "Lena Groß",
    "Timur Öztürk",
)
QUOTES = (
    "Das ist ein Signal an Washington",
    "Wir müssen unsere Souveränität bewahren",
    "Die Region verändert sich schneller, als man glaubt",
    "Ohne Wasser gibt es keine Zukunft",
    "Über Nacht ändert sich hier gar nichts",
)


@dataclass(frozen=True)
class CorpusIssue:
    """One generated issue, format-neutral; the writers below spell it for each tool."""

    number: int
    slug: str
    title: str
    date: dt.datetime
    authors: tuple[str, ...]
    translators: tuple[str, ...]
    summary: str
    tags: tuple[str, ...]
    related: tuple[tuple[str, str], ...]  # (title, url)
    lead: tuple[str, ...]  # paragraphs
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, paragraphs); related after the first

    @property
    def id(self) -> str:
        return f"tag:newsletter.novastan.org,{self.date.date().isoformat()}:{self.slug}"


def sample_sentences(path: Path = SAMPLE) -> list[str]:
    """The article's sentences, without headings, related lines and page furniture."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    paragraphs = [p for p in lines if len(p) > 120 and not _FURNITURE.match(p)]
    sentences: list[str] = []
    for p in paragraphs:
        p = re.sub(r"^.*Unterstützung!", "", p)  # a call to action glued to the next paragraph
        sentences += [s for s in _SENTENCE.split(p) if len(s) > 30]
    return sentences


def _vary(sentence: str, rng: random.Random) -> str:
    """The sentence with its country and year swapped, so issues differ beyond their order."""
    out = sentence.replace("Kasachstan", rng.choice(PLACES))
    return re.sub(r"\b20(2[0-5])\b", lambda m: str(2000 + rng.randrange(10, 26)), out)


def _slug(text: str) -> str:
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-")


def make_issue(number: int, sentences: list[str], seed: int = SEED) -> CorpusIssue:
    """Issue `number` of the corpus: the same every time for the same seed."""
    rng = random.Random(seed * 1_000_003 + number)
    place, topic = rng.choice(PLACES), rng.choice(TOPICS)
    title = f"{place} und die {topic}: {rng.choice(QUESTIONS)}"
    pool = sentences[:]
    rng.shuffle(pool)
    cursor = 0

    def paragraph(count: int) -> str:
        nonlocal cursor
        picked = [_vary(pool[(cursor + k) % len(pool)], rng) for k in range(count)]
        cursor += count
        return " ".join(picked)

    lead = (paragraph(2), paragraph(3))
    quote = f"„{rng.choice(QUOTES)}“, sagt {rng.choice(PEOPLE)} über die {topic} in {place}."
    headings = rng.sample(HEADINGS, 3)
    sections = []
    size = sum(len(p.encode()) for p in lead)
    per_section = (TARGET_BYTES - size) // 3
    for i, heading in enumerate(headings):
        paras: list[str] = [quote] if i == 1 else []
        while sum(len(p.encode()) for p in paras) < per_section - 300:
            paras.append(paragraph(rng.choice((2, 3))))
        sections.append((heading, tuple(paras)))
    related = []
    for _ in range(3):
        rtitle = f"{rng.choice(PLACES)}: {rng.choice(TOPICS)} – {rng.choice(QUESTIONS)}"
        related.append((rtitle, "https://novastan.org/de/?s=" + quote_plus(rtitle)))
    date = FIRST_DATE + dt.timedelta(days=number)
    authors = (rng.choice(PEOPLE),)
    translators = (rng.choice(PEOPLE),) if rng.random() < 0.5 else ()
    return CorpusIssue(
        number=number,
        slug=f"{_slug(title)}-{number:05d}",
        title=title,
        date=date,
        authors=authors,
        translators=translators,
        summary=lead[0],
        tags=(place, topic),
        related=tuple(related),
        lead=lead,
        sections=tuple(sections),
    )


def corpus(n: int, seed: int = SEED) -> list[CorpusIssue]:
    """The first `n` issues of the corpus."""
    sentences = sample_sentences()
    return [make_issue(i, sentences, seed) for i in range(n)]


# --- writers: one per tool ---------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def markdown_body(issue: CorpusIssue, *, related_links: bool) -> str:
    """The body; `related_links` writes each related link as a paragraph instead of our marker."""
    out = list(issue.lead)
    for n, (heading, paras) in enumerate(issue.sections, start=1):
        out.append(f"## {heading}")
        out.append(paras[0])
        if related_links:
            title, url = issue.related[n - 1]
            out.append(f"**Lest auch auf Novastan:** [{title}]({url})")
        else:
            out.append(f"<!-- related: {n} -->")
        out.extend(paras[1:])
    return "\n\n".join(out) + "\n"


def newsletter_source(issue: CorpusIssue) -> str:
    """An issue file exactly as newsletter/sources/markdown.py reads it."""
    fm = [
        "---",
        f"id: {_q(issue.id)}",
        f"title: {_q(issue.title)}",
        f"date: {issue.date.isoformat()}",
        "language: de",
        "authors:",
        *(f"  - {_q(a)}" for a in issue.authors),
    ]
    if issue.translators:
        fm += ["translators:", *(f"  - {_q(t)}" for t in issue.translators)]
    fm += [f"summary: {_q(issue.summary)}", "tags: [" + ", ".join(_q(t) for t in issue.tags) + "]"]
    fm.append("related:")
    for title, url in issue.related:
        fm += [f"  - title: {_q(title)}", f"    url: {_q(url)}"]
    fm.append("---")
    return "\n".join(fm) + "\n\n" + markdown_body(issue, related_links=False)


def pelican_source(issue: CorpusIssue) -> str:
    """Pelican's Markdown reader: `Key: value` metadata lines, a blank line, the body."""
    meta = [
        f"Title: {issue.title}",
        f"Date: {issue.date.strftime('%Y-%m-%d %H:%M')}",
        f"Slug: {issue.slug}",
        f"Authors: {', '.join(issue.authors)}",
        f"Tags: {', '.join(issue.tags)}",
        "Lang: de",
        "Category: Zentralasien",
        f"Summary: {issue.summary}",
    ]
    return "\n".join(meta) + "\n\n" + markdown_body(issue, related_links=True)


def hugo_source(issue: CorpusIssue) -> str:
    """Hugo content: YAML front matter between `---` lines, the body."""
    fm = [
        "---",
        f"title: {_q(issue.title)}",
        f"date: {issue.date.isoformat()}",
        f"slug: {_q(issue.slug)}",
        "authors: [" + ", ".join(_q(a) for a in issue.authors) + "]",
        "tags: [" + ", ".join(_q(t) for t in issue.tags) + "]",
        f"summary: {_q(issue.summary)}",
        "---",
    ]
    return "\n".join(fm) + "\n\n" + markdown_body(issue, related_links=True)


PELICAN_CONF = f"""\
# Pelican settings for the benchmark: every article page, the index, Atom + RSS with the full
# content of all articles; no tag, category, author or archive pages (we write none either).
AUTHOR = "Novastan"
SITENAME = {SITE_TITLE!r}
SITEURL = {BASE_URL.rstrip("/")!r}
TIMEZONE = "Europe/Berlin"
DEFAULT_LANG = "de"
DEFAULT_PAGINATION = False
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
FEED_MAX_ITEMS = None
RSS_FEED_SUMMARY_ONLY = False
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TAG_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
TAG_SAVE_AS = ""
TAGS_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
ARTICLE_URL = "issues/{{slug}}/"
ARTICLE_SAVE_AS = "issues/{{slug}}/index.html"
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""

HUGO_CONF = f"""\
baseURL = {BASE_URL!r}
languageCode = "de"
title = {SITE_TITLE!r}
disableKinds = ["taxonomy", "term", "section", "sitemap", "robotsTXT", "404"]
buildFuture = true  # the corpus runs past today: every page is built, as by the others

[services.rss]
limit = -1

[outputs]
home = ["html", "rss"]
page = ["html"]

[permalinks]
[permalinks.page]
posts = "/issues/:slug/"
"""

# A minimal theme-less layout: every page, the listing, RSS with the full content of all pages.
HUGO_LAYOUTS = HERE / "data" / "hugo-layouts"

# The fair anchor: the same site, and every article also as an email (HTML with inline styles)
# and its text part, through Hugo's custom output formats: issues/SLUG/email.html and email.txt
# beside issues/SLUG/index.html.
HUGO_EMAIL_CONF = (
    HUGO_CONF.replace('page = ["html"]', 'page = ["html", "email", "emailtext"]')
    + """
[outputFormats.email]
mediaType = "text/html"
baseName = "email"
isHTML = true

[outputFormats.emailtext]
mediaType = "text/plain"
baseName = "email"
isPlainText = true
"""
)
HUGO_EMAIL_LAYOUTS = HERE / "data" / "hugo-email-layouts"


def write_newsletter(issues: list[CorpusIssue], root: Path) -> Path:
    """A newsletter folder: the repo's newsletter.toml and templates, and the corpus in issues/."""
    (root / "issues").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(REPO / "templates", root / "templates", dirs_exist_ok=True)
    for issue in issues:
        name = f"{issue.date.date().isoformat()}-{issue.slug}.md"
        (root / "issues" / name).write_text(newsletter_source(issue), encoding="utf-8")
    return root


def write_pelican(issues: list[CorpusIssue], root: Path) -> Path:
    """A Pelican project: content/*.md and pelicanconf.py."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "pelicanconf.py").write_text(PELICAN_CONF, encoding="utf-8")
    for issue in issues:
        (root / "content" / f"{issue.slug}.md").write_text(pelican_source(issue), encoding="utf-8")
    return root


def write_hugo(issues: list[CorpusIssue], root: Path, *, email: bool = False) -> Path:
    """A Hugo site: hugo.toml, layouts/ and content/posts/*.md; with `email`, the fair anchor
    (each article also as email.html and email.txt)."""
    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (root / "layouts").mkdir(parents=True, exist_ok=True)
    (root / "hugo.toml").write_text(HUGO_EMAIL_CONF if email else HUGO_CONF, encoding="utf-8")
    layouts = [*HUGO_LAYOUTS.iterdir(), *(HUGO_EMAIL_LAYOUTS.iterdir() if email else [])]
    for layout in sorted(layouts):
        shutil.copy(layout, root / "layouts" / layout.name)
    for issue in issues:
        (root / "content" / "posts" / f"{issue.slug}.md").write_text(hugo_source(issue), encoding="utf-8")
    return root


def write_all(n: int, out: Path, seed: int = SEED) -> dict[str, Path]:
    """The corpus of `n` issues in all three formats under `out`."""
    issues = corpus(n, seed)
    return {
        "newsletter": write_newsletter(issues, out / "newsletter"),
        "pelican": write_pelican(issues, out / "pelican"),
        "hugo": write_hugo(issues, out / "hugo"),
        "hugo-email": write_hugo(issues, out / "hugo-email", email=True),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    for tool, path in write_all(args.issues, args.out, args.seed).items():
        print(f"{tool}: {path}")


if __name__ == "__main__":
    main()
