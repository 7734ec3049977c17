"""newsletter: magazine articles in, Atom/RSS/JSON feeds, an email issue and a web archive out."""

__version__ = "0.1.0"
