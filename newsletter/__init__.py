"""newsletter: magazine articles in, Atom/RSS/JSON feeds, an email issue and a web archive out.

From Python, open a newsletter folder and work with it as the commands do::

    from newsletter import open_newsletter

    news = open_newsletter("path/to/newsletter")
    news.build()
    news.check(fast=True)
    with news.subscribers() as subscribers:
        subscribers.add("lila@example.org", "Lila Ahmadi", "de")
    news.send("kasachstan-abraham-abkommen")
"""

from .config import Config, load_config
from .core import Newsletter, open_newsletter
from .errors import NewsletterError
from .model import Article, Issue, Language

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Config",
    "Issue",
    "Language",
    "Newsletter",
    "NewsletterError",
    "__version__",
    "load_config",
    "open_newsletter",
]
