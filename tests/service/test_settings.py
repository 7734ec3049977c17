"""[service] in newsletter.toml: defaults, every key, and one clear line per mistake."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.service.settings import origin_of, service_settings

from .conftest import DATA


def config_with(tmp_path: Path, *extra: str) -> Path:
    root = tmp_path / "news"
    root.mkdir()
    shutil.copy(DATA / "newsletter.toml", root / "newsletter.toml")
    with open(root / "newsletter.toml", "a", encoding="utf-8") as f:
        for name in extra:
            f.write("\n" + (DATA / name).read_text(encoding="utf-8"))
    return root / "newsletter.toml"


def test_defaults_come_from_the_site(tmp_path: Path) -> None:
    s = service_settings(load_config(config_with(tmp_path)))
    assert s.public_url == "https://subscribe.example.org/"
    assert s.allowed_origins == {"https://news.example.org"}
    assert s.confirm_max_age == dt.timedelta(days=7)
    assert (s.signups_per_minute, s.max_body_bytes, s.trusted_proxies) == (10, 16384, 0)


def test_every_key(tmp_path: Path) -> None:
    s = service_settings(load_config(config_with(tmp_path, "service-all-keys.toml")))
    assert s.public_url == "https://abo.example.org/news/"
    assert s.allowed_origins == {"https://news.example.org", "https://www.example.org:8443"}
    assert s.confirm_max_age == dt.timedelta(days=3)
    assert (s.signups_per_minute, s.requests_per_minute, s.max_body_bytes) == (20, 100, 4096)
    assert s.trusted_proxies == 1
    assert s.confirm_resend_after == dt.timedelta(minutes=5) and s.confirmations_per_address == 2


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "service-origin-not-a-url.toml",
            "[service] allowed_origins: 'news.example.org' is not an http(s) origin",
        ),
        ("service-negative-limit.toml", "[service] signups_per_minute: must be a whole number ≥ 0"),
        ("service-zero-max-age.toml", "[service] confirm_max_age_days: must be more than 0"),
        ("service-sns-topic-not-an-arn.toml", "[service] sns_topics: 'arn:aws:sqs:eu-west-1:123456789012:"),
    ],
)
def test_mistakes_are_one_line_naming_the_file(tmp_path: Path, fixture: str, message: str) -> None:
    path = config_with(tmp_path, fixture)
    with pytest.raises(NewsletterError) as e:
        service_settings(load_config(path))
    assert str(e.value).startswith(f"{path}: {message}")
    assert "\n" not in str(e.value)


def test_a_site_without_any_service_url_is_told_what_to_set(tmp_path: Path) -> None:
    root = tmp_path / "news"
    root.mkdir()
    shutil.copy(DATA / "site-without-service-url.toml", root / "newsletter.toml")
    with pytest.raises(NewsletterError, match=r"public_url: is not set and cannot be derived; set \[site\]"):
        service_settings(load_config(root))


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://News.Example.org/issues/x/?q=1", "https://news.example.org"),
        ("https://example.org:443/", "https://example.org"),
        ("http://127.0.0.1:8080/subscribe", "http://127.0.0.1:8080"),
        ("http://[::1]:80/", "http://[::1]"),
        ("javascript:alert(1)", ""),
        ("news.example.org", ""),
        ("https://example.org:99999/", ""),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin
