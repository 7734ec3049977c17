"""Site profiles: what a magazine's boilerplate, bylines and related links look like, per language.

Profiles are data (`profiles/*.toml`), never `if site == …` branches. A profile file looks like::

    [languages.de]
    related = ["Lest auch auf Novastan:"]
    bylines = ["{name} für Novastan"]
    translators = ["Aus dem Englischen von {name}", "Aus dem {word} übersetzt von {name}"]
    footers = ["Noch mehr Zentralasien findet ihr auf unseren Social Media Kanälen"]
    conjunctions = ["und", "sowie"]      # how name lists are joined ("A, B und C")
    roles = ["Redakteurin"]             # "Redakteurin für Novastan" is a role, not a name
    words = ["der", "die", "und"]        # common words, to tell languages apart

    [[languages.de.boilerplate]]
    start = "Unterstützt Novastan – das europäische Zentralasien-Magazin"
    text = ["Als vereinsgetragene, unabhängige Plattform lebt Novastan …"]

Phrases match loosely the way real pages differ: any dash for any dash, any apostrophe or
quote for any other, no-break and narrow no-break spaces for spaces, optional space before
":;!?", and letter case. `{name}` captures a list of names, `{word}` one word.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import NewsletterError, toml_error
from ..model import Language

SHIPPED_DIR = Path(__file__).with_name("profiles")
GENERIC = "generic"

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_APOSTROPHES = "'\u2018\u2019\u201b\u02bc\u00b4`"
_QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a'
_SPACE_BEFORE = ":;!?\u00bb\u203a"  # French puts a (narrow) no-break space before these
_NAME_PARTICLES = {
    "al", "bin", "da", "de", "del", "della", "den", "der", "des", "di", "do", "dos", "du", "el",
    "ibn", "kyzy", "la", "le", "ogly", "qizi", "ter", "ul", "uulu", "van", "von", "y", "zu", "zur",
}  # fmt: skip
_NOT_IN_NAMES = re.compile(r"[\d:;!?()\[\]{}/@#|<>=+*\"\u201c\u201d\u201e\u00ab\u00bb]")


@dataclass(frozen=True)
class Boilerplate:
    """A block to drop: its first sentence/heading and the text that follows it.

    The following sentences may be glued to the next paragraph without a space (a lost
    line break in a copied page); `strip_boilerplate` cuts them off there.
    """

    start: str
    text: tuple[str, ...] = ()


@dataclass(frozen=True)
class LanguageRules:
    """One profile's phrases in one language."""

    language: str
    related_prefixes: tuple[str, ...] = ()
    bylines: tuple[re.Pattern[str], ...] = ()
    translator_credits: tuple[re.Pattern[str], ...] = ()
    boilerplate: tuple[Boilerplate, ...] = ()
    footer_starts: tuple[str, ...] = ()
    conjunctions: tuple[str, ...] = ("and", "und", "et")
    roles: tuple[str, ...] = ()
    common_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A site (or the generic fallback) with its rules per language code."""

    name: str
    languages: dict[str, LanguageRules] = field(default_factory=dict)


# --- phrase matching -------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> str:
    """A regex source for `phrase` that tolerates the typographic differences of real pages."""
    out: list[str] = []
    i, n = 0, len(phrase)
    while i < n:
        ch = phrase[i]
        if phrase.startswith("{name}", i):
            out.append(r"(?P<name>.+?)")
            i += 6
            continue
        if phrase.startswith("{word}", i):
            out.append(r"\S+?")
            i += 6
            continue
        if ch.isspace():
            j = i
            while j < n and phrase[j].isspace():
                j += 1
            if j < n and (phrase[j] in _DASHES or phrase[j] in _SPACE_BEFORE):
                i = j  # the dash or colon brings its own optional space
                continue
            out.append(r"\s*" if out and out[-1].endswith(("\u00ab", "\u2039")) else r"\s+")
            i = j
            continue
        if ch in _DASHES:
            while out and out[-1] in (r"\s+", r"\s*"):
                out.pop()
            out.append(rf"\s*[{re.escape(_DASHES)}]\s*")
            i += 1
            while i < n and phrase[i].isspace():
                i += 1
            continue
        if ch in _SPACE_BEFORE:
            out.append(r"\s*" + re.escape(ch))
        elif ch in _APOSTROPHES:
            out.append(f"[{re.escape(_APOSTROPHES)}]")
        elif ch in _QUOTES:
            out.append(f"[{re.escape(_QUOTES)}]")
        elif ch in "\u2026":
            out.append(r"(?:\u2026|\.\.\.)")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _search(phrase: str) -> re.Pattern[str]:
    # a phrase starts at the start of text, after whitespace, or after sentence punctuation
    return re.compile(r"(?<![^\s.!?\u2026" + re.escape(_QUOTES) + "])" + phrase_pattern(phrase), re.I)


@functools.lru_cache(maxsize=4096)
def _prefix(phrase: str) -> re.Pattern[str]:
    return re.compile(r"\s*" + phrase_pattern(phrase) + r"\s*", re.I)


def line_pattern(phrase: str) -> re.Pattern[str]:
    """A whole-line pattern for a byline or credit phrase with a `{name}` group."""
    if "{name}" not in phrase:
        raise ValueError(f"{phrase!r} lacks {{name}}")
    return re.compile(r"\s*" + phrase_pattern(phrase) + r"[\s.]*", re.I)


# --- names -----------------------------------------------------------------------------------


def _is_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 6 or _NOT_IN_NAMES.search(name) or name.endswith((",", "-")):
        return False
    capitalized = 0
    for w in words:
        if w[0].isupper():
            capitalized += 1
        elif w.lower() not in _NAME_PARTICLES and not re.match(rf"^\w{{1,2}}[{_APOSTROPHES}]\w", w):
            return False  # "d’Arcy" and particles are fine; any other lower-case word is prose
    return capitalized > 0


def split_names(text: str, rules: LanguageRules) -> tuple[str, ...] | None:
    """ "A, B und C" -> ("A", "B", "C"); None unless every part reads as a person's name."""
    conj = sorted({*rules.conjunctions, "&"}, key=len, reverse=True)
    sep = r"\s*,\s*(?:(?:" + "|".join(map(re.escape, conj)) + r")\s+)?|\s+(?:"
    sep += "|".join(map(re.escape, conj)) + r")\s+"
    roles = {r.casefold() for r in rules.roles}
    parts = [" ".join(p.split()) for p in re.split(sep, text.strip(" ,\t\n"), flags=re.I)]
    names = tuple(p for p in parts if p and p.casefold() not in roles)
    if not names or not all(_is_name(p) for p in names):
        return None
    return names


def _names_from(
    line: str, patterns: Sequence[re.Pattern[str]], rules: LanguageRules
) -> tuple[str, ...] | None:
    line = " ".join(line.split())
    if not line or len(line) > 300:
        return None
    for pattern in patterns:
        m = pattern.fullmatch(line)
        if m:
            names = split_names(m.group("name"), rules)
            if names:
                return names
    return None


def byline_names(line: str, rules: LanguageRules) -> tuple[str, ...] | None:
    """ "A und B für Novastan" -> ("A", "B"); None when the line is not a byline."""
    return _names_from(line, rules.bylines, rules)


def byline_role(line: str, rules: LanguageRules) -> bool:
    """True for a role line like "Redakteurin für Novastan": the name stands on the line before."""
    roles = {r.casefold() for r in rules.roles}
    line = " ".join(line.split())
    for pattern in rules.bylines:
        m = pattern.fullmatch(line)
        if m and m.group("name").strip(" ,").casefold() in roles:
            return True
    return False


def translator_names(line: str, rules: LanguageRules) -> tuple[str, ...] | None:
    """ "Aus dem Englischen von A" -> ("A",); None when the line is not a translator credit."""
    return _names_from(line, rules.translator_credits, rules)


def related_title(line: str, rules: LanguageRules) -> str | None:
    """ "Lest auch auf Novastan: X" -> "X"; None when the line is no related link."""
    for prefix in rules.related_prefixes:
        m = _prefix(prefix).match(line)
        if m:
            title = re.sub(r"[ \t\r\n]+", " ", line[m.end() :]).strip()  # keeps no-break spaces
            return title or None
    return None


# --- boilerplate -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _boilerplate_pattern(box: Boilerplate, complete: bool) -> re.Pattern[str]:
    tail = ""
    for sentence in reversed(box.text):  # the following sentences, in order
        tail = rf"(?:\s*{phrase_pattern(sentence)}{tail})" + ("" if complete else "?")
    return re.compile(_search(box.start).pattern + tail, re.I)


def strip_boilerplate(text: str, rules: LanguageRules) -> str:
    """`text` without the profile's boilerplate blocks and social-media footer.

    A block cut out of running text leaves a blank line, so text glued to it ("…eurer
    Unterstützung!Im Gegensatz…") becomes a paragraph of its own; callers split on newlines.
    A footer runs from its first phrase to the end of its line. Blank runs collapse to one
    blank line; the result is stripped. Complete blocks are cut first, so of two variants
    with the same heading the one whose text is there wins; then a heading whose text differs.
    """
    for complete in (True, False):
        for box in rules.boilerplate:
            text = _boilerplate_pattern(box, complete).sub("\n\n", text)
    for start in rules.footer_starts:
        text = re.compile(_search(start).pattern + r"[^\n]*", re.I).sub("", text)
    text = re.sub(r"[^\S\n]+\n", "\n", text)
    text = re.sub(r"\n[^\S\n]+", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- loading ---------------------------------------------------------------------------------

_KEYS = {"related", "bylines", "translators", "footers", "boilerplate", "conjunctions", "roles", "words"}


def _strs(value: Any, where: str, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise NewsletterError(f"{where} must be a list of non-empty strings", path=str(path))
    return tuple(v.strip() for v in value)


def _rules(lang: str, data: Any, path: Path) -> LanguageRules:
    where = f"[languages.{lang}]"
    if not isinstance(data, dict):
        raise NewsletterError(f"{where} must be a table", path=str(path))
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise NewsletterError(
            f"{where} has unknown key {unknown[0]!r}; known keys: {', '.join(sorted(_KEYS))}", path=str(path)
        )

    def patterns(key: str) -> tuple[re.Pattern[str], ...]:
        phrases = _strs(data.get(key, []), f"{where} {key}", path)
        for p in phrases:
            if "{name}" not in p:
                raise NewsletterError(f"{where} {key}: {p!r} needs a {{name}} placeholder", path=str(path))
        return tuple(line_pattern(p) for p in phrases)

    boxes = data.get("boilerplate", [])
    if not isinstance(boxes, list) or not all(isinstance(b, dict) for b in boxes):
        raise NewsletterError(
            f"{where} boilerplate must be [[languages.{lang}.boilerplate]] tables", path=str(path)
        )
    boilerplate = []
    for b in boxes:
        if not isinstance(b.get("start"), str) or not b["start"].strip():
            raise NewsletterError(
                f'every [[languages.{lang}.boilerplate]] needs a start = "…"', path=str(path)
            )
        boilerplate.append(
            Boilerplate(b["start"].strip(), _strs(b.get("text", []), f"{where} boilerplate text", path))
        )
    conjunctions = _strs(data.get("conjunctions", []), f"{where} conjunctions", path)
    return LanguageRules(
        language=lang,
        related_prefixes=_strs(data.get("related", []), f"{where} related", path),
        bylines=patterns("bylines"),
        translator_credits=patterns("translators"),
        boilerplate=tuple(boilerplate),
        footer_starts=_strs(data.get("footers", []), f"{where} footers", path),
        conjunctions=conjunctions or LanguageRules(lang).conjunctions,
        roles=_strs(data.get("roles", []), f"{where} roles", path),
        common_words=tuple(w.casefold() for w in _strs(data.get("words", []), f"{where} words", path)),
    )


def load_profile(path: Path) -> Profile:
    """One profile file; its name is the file's stem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise NewsletterError("is not UTF-8 text", path=str(path)) from None
    except OSError as e:
        raise NewsletterError(f"cannot be read ({e.strerror})", path=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise toml_error(e, str(path)) from None
    languages = data.get("languages")
    unknown = sorted(set(data) - {"languages"})
    if unknown or not isinstance(languages, dict) or not languages:
        raise NewsletterError(
            "a profile holds only [languages.<code>] tables, e.g. [languages.de]", path=str(path)
        )
    return Profile(path.stem, {lang: _rules(lang, rules, path) for lang, rules in languages.items()})


def load_profiles(extra_dirs: Sequence[Path] = ()) -> dict[str, Profile]:
    """The shipped profiles plus `*.toml` in `extra_dirs`; a later file of the same name wins."""
    profiles: dict[str, Profile] = {}
    for folder in (SHIPPED_DIR, *extra_dirs):
        if not folder.is_dir():
            raise NewsletterError(
                "profile folder does not exist; fix [import] profile_dirs", path=str(folder)
            )
        for path in sorted(folder.glob("*.toml")):
            profiles[path.stem] = load_profile(path)
    return profiles


# --- detection -------------------------------------------------------------------------------


def _line_matches(line: str, rules: LanguageRules) -> bool:
    return bool(related_title(line, rules) or byline_names(line, rules) or translator_names(line, rules))


def _score(text: str, lines: Sequence[str], rules: LanguageRules) -> int:
    score = sum(1 for line in lines if _line_matches(line, rules))
    for phrase in (*(b.start for b in rules.boilerplate), *rules.footer_starts):
        score += len(_search(phrase).findall(text))
    return score


def _word_score(text: str, rules: LanguageRules) -> int:
    if not rules.common_words:
        return 0
    wanted = set(rules.common_words)
    return sum(1 for w in re.findall(r"\w+", text[:20_000].casefold()) if w in wanted)


def detect_profile(
    text: str,
    profiles: Mapping[str, Profile],
    *,
    profile: str | None = None,
    language: str | None = None,
) -> tuple[Profile, LanguageRules]:
    """The profile and language whose phrases occur most in `text`.

    Explicit `profile`/`language` win. A site profile is only chosen when at least one of its
    phrases occurs; otherwise the "generic" profile, in the language whose common words occur
    most. An unknown profile name is an error; a language no profile knows gets empty rules.
    """
    if profile is not None and profile not in profiles:
        raise NewsletterError(
            f"unknown profile {profile!r}; known profiles: {', '.join(sorted(profiles)) or 'none'}"
        )
    lines = [line for line in text.splitlines() if line.strip()]
    generic = profiles.get(GENERIC) or Profile(GENERIC, {})
    # lines any site could have ("Translated by X") say nothing about which site it is
    site_lines = [ln for ln in lines if not any(_line_matches(ln, r) for r in generic.languages.values())]
    pool = [profiles[profile]] if profile else [p for n, p in sorted(profiles.items()) if n != GENERIC]
    scored = [
        (
            (_score(text, site_lines if p.name != GENERIC else lines, rules), _word_score(text, rules)),
            p,
            rules,
        )
        for p in pool
        for lang, rules in p.languages.items()
        if not language or Language(language).matches(lang)
    ]
    if not profile:
        scored = [s for s in scored if s[0][0] > 0]  # a site profile needs one of its phrases
    if scored:
        _, p, rules = max(scored, key=lambda s: s[0])  # max keeps the first of equals
        return p, rules
    if profile and profile != GENERIC:  # the explicit profile lacks the language asked for
        raise NewsletterError(
            f"profile {profile!r} has no rules for language {language!r}; "
            f"it knows {', '.join(sorted(profiles[profile].languages))}; pass --profile generic"
        )
    fallback = [
        ((_score(text, lines, rules), _word_score(text, rules)), rules)
        for lang, rules in generic.languages.items()
        if not language or Language(language).matches(lang)
    ]
    if fallback:
        return generic, max(fallback, key=lambda s: s[0])[1]
    return generic, LanguageRules(language=language or "en")
