"""The service's pages and its confirmation email, localized, from templates/service/.

The newsletter's own templates folder wins; templates and labels it lacks (a folder made before
the service existed) come from the ones shipped next to the package, so pages never show raw keys.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

from ..model import Language, Site
from ..outputs.labels import Labels, labels_for, language_name

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


class ServicePages:
    """Renders the pages and mail texts of one newsletter, in any of its edition languages."""

    def __init__(self, site: Site, templates_dir: Path, languages: Collection[str]):
        self.site = site
        self.templates_dirs = [d for d in (templates_dir, SHIPPED_TEMPLATES) if d.is_dir()]
        self.languages = tuple(sorted(languages, key=lambda c: (c != site.language, c)))
        self._labels = {lang: self._load_labels(lang) for lang in self.languages}

    @cached_property
    def env(self) -> jinja2.Environment:
        loader = jinja2.FileSystemLoader([str(d / "service") for d in self.templates_dirs])
        return jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def _load_labels(self, language: str) -> Labels:
        words: dict[str, str] = {}
        for d in reversed(self.templates_dirs):  # the newsletter's own words last: they win
            words.update(labels_for(d, language).words)
        return Labels(language=Language(language).locale, words=words)

    def labels(self, language: str) -> Labels:
        return self._labels.get(language) or self._labels[self.site.language]

    def render(self, template: str, language: str, /, **context: Any) -> str:
        """One page or mail part, with the site, the labels and the language in its context."""
        lang = language if language in self._labels else self.site.language
        return self.env.get_template(template).render(
            site=self.site, lang=lang, labels=self.labels(lang), **context
        )

    def edition_choices(self) -> list[tuple[str, str]]:
        return [(code, language_name(code)) for code in self.languages]
