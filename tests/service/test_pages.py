"""Every page and the mail exist in de, fr and en, also for a newsletter folder without them."""

from __future__ import annotations

import tomllib
from pathlib import Path

from newsletter.model import Site
from newsletter.service.pages import SHIPPED_TEMPLATES, ServicePages, language_name

LABELS = tomllib.loads((SHIPPED_TEMPLATES / "labels.toml").read_text(encoding="utf-8"))


def test_every_service_label_exists_in_every_language() -> None:
    keys = {lang: {k for k in table if k.startswith("service_")} for lang, table in LABELS.items()}
    assert keys["en"] and keys["de"] == keys["fr"] == keys["en"]


def test_a_folder_without_service_templates_uses_the_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "labels.toml").write_text(
        '[de]\nsubscribe = "Jetzt abonnieren"\n', encoding="utf-8"
    )
    site = Site(title="T", base_url="https://example.org/", language="de", feed_id="tag:x")
    pages = ServicePages(site, tmp_path / "templates", {"de"})
    labels = pages.labels("de")
    assert labels["subscribe"] == "Jetzt abonnieren"  # the newsletter's own word wins
    assert labels["service_unsubscribe_button"] == "Abmelden"  # missing ones are shipped
    html = pages.render("message.html", "de", heading="H", text="T", error=False, csp_nonce="n")
    assert '<html lang="de">' in html


def test_language_names_are_in_their_own_language() -> None:
    assert [language_name(c) for c in ("de", "fr", "en", "xx-invalid")] == [
        "Deutsch",
        "Français",
        "English",
        "xx-invalid",
    ]
