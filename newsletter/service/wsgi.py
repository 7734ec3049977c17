"""The app for a production WSGI server: gunicorn (README "Deploying", gunicorn_conf.py).

The config is NEWSLETTER_CONFIG (a newsletter.toml or its folder), else ./newsletter.toml;
secrets come from the environment only (NEWSLETTER_SECRET, NEWSLETTER_SMTP_URL, …). Without
them the worker stops with one line saying what to set.
"""

from __future__ import annotations

import os
import sys

from ..config import load_config
from ..errors import NewsletterError
from .app import create_app

try:
    app = create_app(load_config(os.environ.get("NEWSLETTER_CONFIG") or None))
except NewsletterError as e:
    sys.stderr.write(f"error: {e}\n")
    raise SystemExit(1) from None
